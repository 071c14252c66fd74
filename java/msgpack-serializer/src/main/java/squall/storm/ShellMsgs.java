package squall.storm;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.utils.Utils;

/**
 * A command map from the subprocess to a {@link ShellMsg}, field for field as Storm's
 * JsonSerializer does it: {@code stream} defaults to "default", {@code task} to 0 (not
 * direct), {@code need_task_ids} to true, {@code anchors} may be one id or a list, and
 * {@code level} counts only for {@code log}. Unknown keys are ignored. A key of the wrong
 * type is an IOException naming the command, the key and the type expected.
 */
final class ShellMsgs {
    private ShellMsgs() {
    }

    static ShellMsg fromMap(Map<String, Object> msg) throws IOException {
        Object command = msg.get("command");
        if (!(command instanceof String)) {
            throw new IOException("a message from the subprocess has no \"command\" string: " + msg
                + "; every message must be a map with \"command\"");
        }
        String cmd = (String) command;
        ShellMsg shellMsg = new ShellMsg();
        shellMsg.setCommand(cmd);
        shellMsg.setId(msg.get("id"));
        shellMsg.setMsg(optional(msg, cmd, "msg", String.class));
        String stream = optional(msg, cmd, "stream", String.class);
        shellMsg.setStream(stream == null ? Utils.DEFAULT_STREAM_ID : stream);
        Number task = optional(msg, cmd, "task", Number.class);
        shellMsg.setTask(task == null ? 0 : task.longValue());
        Boolean needTaskIds = optional(msg, cmd, "need_task_ids", Boolean.class);
        shellMsg.setNeedTaskIds(needTaskIds == null || needTaskIds);
        shellMsg.setTuple(tuple(msg, cmd));
        setAnchors(shellMsg, msg.get("anchors"), cmd);
        Object name = msg.get("name");
        shellMsg.setMetricName(name instanceof String ? (String) name : null);
        shellMsg.setMetricParams(msg.get("params"));
        if (cmd.equals("log")) {
            Object level = msg.get("level");
            if (level instanceof Number) {
                shellMsg.setLogLevel(((Number) level).intValue());
            }
        }
        return shellMsg;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> tuple(Map<String, Object> msg, String cmd) throws IOException {
        return (List<Object>) optional(msg, cmd, "tuple", List.class);
    }

    private static void setAnchors(ShellMsg shellMsg, Object anchors, String cmd) throws IOException {
        if (anchors == null) {
            return;
        }
        if (anchors instanceof String) {
            shellMsg.addAnchor((String) anchors);
            return;
        }
        if (!(anchors instanceof List)) {
            throw wrongType(cmd, "anchors", "a list of tuple ids", anchors);
        }
        for (Object anchor : (List<?>) anchors) {
            if (!(anchor instanceof String)) {
                throw wrongType(cmd, "anchors", "a list of tuple ids (strings)", anchor);
            }
            shellMsg.addAnchor((String) anchor);
        }
    }

    private static <T> T optional(Map<String, Object> msg, String cmd, String key, Class<T> type) throws IOException {
        Object value = msg.get(key);
        if (value == null) {
            return null;
        }
        if (!type.isInstance(value)) {
            throw wrongType(cmd, key, "a " + type.getSimpleName(), value);
        }
        return type.cast(value);
    }

    private static IOException wrongType(String cmd, String key, String expected, Object value) {
        return new IOException("command '" + cmd + "' from the subprocess: \"" + key + "\" must be " + expected
            + ", got " + value.getClass().getSimpleName() + " " + value);
    }
}
