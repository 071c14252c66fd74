"""storm_env: which Storm cluster an env targets, and where its worker logs are."""

import pytest

from squall.config import EnvConfig, storm_env


def test_remote_env_log_dir_is_the_clusters_storm_log_dir(tmp_path):
    env = EnvConfig("prod", nimbus="h:6627", log_dir=tmp_path / "storm-logs")
    assert storm_env(env).log_dir == tmp_path / "storm-logs"


@pytest.mark.storm
def test_dev_cluster_keeps_its_own_log_dir_whatever_the_envs_log_dir(storm_cluster, tmp_path):
    env = EnvConfig("local", log_dir=tmp_path / "run-logs", source=tmp_path / "squall.toml")
    assert storm_env(env, cluster_home=storm_cluster.home).log_dir == storm_cluster.log_dir
