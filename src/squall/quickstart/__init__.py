"""Create a new squall project: ``squall quickstart NAME``.

>>> import tempfile, pathlib
>>> root = create_project("wordcount", tempfile.mkdtemp())
>>> sorted(p.name for p in root.iterdir())[:4]
['.gitignore', 'README.md', 'pyproject.toml', 'squall.toml']
"""

from squall.quickstart._create import PROJECT_FILES, check_project_name, create_project

__all__ = ["PROJECT_FILES", "check_project_name", "create_project"]
