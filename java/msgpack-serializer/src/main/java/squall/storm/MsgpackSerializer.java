package squall.storm;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.storm.generated.GlobalStreamId;
import org.apache.storm.generated.Grouping;
import org.apache.storm.multilang.BoltMsg;
import org.apache.storm.multilang.ISerializer;
import org.apache.storm.multilang.NoOutputException;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.multilang.SpoutMsg;
import org.apache.storm.task.TopologyContext;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;

/**
 * Storm multi-lang over msgpack: the Java half of squall's {@code serializer = "msgpack"}.
 *
 * <p>Set {@code topology.multilang.serializer} to {@code squall.storm.MsgpackSerializer}
 * (squall does it when the environment's serializer is msgpack). Each message is one
 * msgpack object, nothing else: the same maps and arrays Storm's JsonSerializer writes
 * and reads, with {@code bytes} as msgpack bin and integers beyond 64 bits as extension
 * type {@value MsgpackValues#BIG_INTEGER_EXT} (two's complement, big-endian).
 *
 * <p>Storm calls the read side from one thread and the write side from another (ShellBolt
 * has a reader and a writer thread): each side has its own buffer, so that is safe.
 */
public class MsgpackSerializer implements ISerializer {
    private static final long serialVersionUID = 1L;
    private static final int BUFFER_BYTES = 64 * 1024;

    private transient OutputStream out;
    private transient MessagePacker packer;
    private transient MessageUnpacker unpacker;

    @Override
    public void initialize(OutputStream processIn, InputStream processOut) {
        this.out = new BufferedOutputStream(processIn, BUFFER_BYTES);
        this.packer = MessagePack.newDefaultPacker(this.out);
        this.unpacker = MessagePack.newDefaultUnpacker(new BufferedInputStream(processOut, BUFFER_BYTES));
    }

    @Override
    public Number connect(Map<String, Object> conf, TopologyContext context) throws IOException, NoOutputException {
        Map<String, Object> setup = new HashMap<>();
        setup.put("pidDir", context.getPIDDir());
        setup.put("conf", conf);
        setup.put("context", contextMap(context));
        writeHandshake(setup);
        Map<String, Object> reply = readMap("the handshake reply");
        Object pid = reply.get("pid");
        if (!(pid instanceof Number)) {
            throw new IOException("the subprocess answered the handshake with " + reply
                + " instead of {\"pid\": <int>}: it must create <pidDir>/<pid> and reply its pid");
        }
        return (Number) pid;
    }

    /** Write the handshake map: conf values Storm itself could not type are sent as text. */
    void writeHandshake(Map<String, Object> setup) throws IOException {
        MsgpackValues.pack(packer, setup, MsgpackValues.Unknown.AS_TEXT, "the handshake");
        flush();
    }

    /** Return the context map exactly as TopologyContext.toJSONString() describes it. */
    static Map<String, Object> contextMap(TopologyContext context) {
        Map<String, Object> obj = new HashMap<>();
        Map<String, Object> taskToComponent = new HashMap<>();
        for (Map.Entry<Integer, String> e : context.getTaskToComponent().entrySet()) {
            taskToComponent.put(String.valueOf(e.getKey()), e.getValue());  // JSON keys are text
        }
        obj.put("task->component", taskToComponent);
        obj.put("taskid", context.getThisTaskId());
        obj.put("componentid", context.getThisComponentId());
        obj.put("streams", new ArrayList<>(context.getThisStreams()));
        obj.put("stream->outputfields", context.getThisOutputFieldsForStreams());
        Map<String, Object> targets = new HashMap<>();
        for (Map.Entry<String, Map<String, Grouping>> e : context.getThisTargets().entrySet()) {
            Map<String, Object> byTarget = new HashMap<>();
            for (Map.Entry<String, Grouping> t : e.getValue().entrySet()) {
                byTarget.put(t.getKey(), groupingMap(t.getValue()));
            }
            targets.put(e.getKey(), byTarget);
        }
        obj.put("stream->target->grouping", targets);
        Map<String, Map<String, Object>> sources = new HashMap<>();
        for (Map.Entry<GlobalStreamId, Grouping> e : context.getThisSources().entrySet()) {
            sources.computeIfAbsent(e.getKey().get_componentId(), k -> new HashMap<>())
                .put(e.getKey().get_streamId(), groupingMap(e.getValue()));
        }
        obj.put("source->stream->grouping", sources);
        obj.put("source->stream->fields", context.getThisInputFields());
        return obj;
    }

    private static Map<String, Object> groupingMap(Grouping grouping) {
        Map<String, Object> map = new HashMap<>();
        map.put("type", grouping.getSetField().toString());
        if (grouping.is_set_fields()) {
            map.put("fields", grouping.get_fields());
        }
        return map;
    }

    @Override
    public void writeBoltMsg(BoltMsg msg) throws IOException {
        MessagePacker p = packer;
        p.packMapHeader(5);
        p.packString("id");
        packNullableString(p, msg.getId());
        p.packString("comp");
        packNullableString(p, msg.getComp());
        p.packString("stream");
        packNullableString(p, msg.getStream());
        p.packString("task");
        p.packLong(msg.getTask());
        p.packString("tuple");
        List<Object> tuple = msg.getTuple();
        if (tuple == null) {
            p.packNil();
        } else {
            MsgpackValues.packTuple(p, tuple, msg.getComp(), msg.getStream());
        }
        flush();
    }

    @Override
    public void writeSpoutMsg(SpoutMsg msg) throws IOException {
        MessagePacker p = packer;
        p.packMapHeader(2);
        p.packString("command");
        packNullableString(p, msg.getCommand());
        p.packString("id");
        MsgpackValues.pack(p, msg.getId(), MsgpackValues.Unknown.REFUSE, "a spout message id");
        flush();
    }

    @Override
    public void writeTaskIds(List<Integer> taskIds) throws IOException {
        MessagePacker p = packer;
        p.packArrayHeader(taskIds.size());
        for (Integer task : taskIds) {
            p.packInt(task);
        }
        flush();
    }

    private void flush() throws IOException {
        packer.flush();
    }

    private static void packNullableString(MessagePacker p, String s) throws IOException {
        if (s == null) {
            p.packNil();
        } else {
            p.packString(s);
        }
    }

    @Override
    public ShellMsg readShellMsg() throws IOException, NoOutputException {
        return ShellMsgs.fromMap(readMap("a command"));
    }

    private Map<String, Object> readMap(String what) throws IOException, NoOutputException {
        MessageUnpacker u = unpacker;
        try {
            if (!u.hasNext()) {
                throw new NoOutputException("Pipe to subprocess seems to be broken! No output read.\n"
                    + "Serializer Exception:\n");
            }
            MessageFormat format = u.getNextFormat();
            if (format.getValueType() != org.msgpack.value.ValueType.MAP) {
                int first = format == MessageFormat.POSFIXINT ? u.unpackInt() : -1;
                throw new IOException(notAMap(what, format, first));
            }
            return MsgpackValues.unpackMap(u);
        } catch (MessageInsufficientBufferException e) {
            throw new NoOutputException("Pipe to subprocess seems to be broken! The output ends inside a "
                + "msgpack object.\nSerializer Exception:\n");
        } catch (MessagePackException e) {
            throw new IOException("malformed msgpack from the subprocess while reading " + what + ": "
                + e.getMessage(), e);
        }
    }

    private static String notAMap(String what, MessageFormat format, int first) {
        String hint = first == '{'
            ? " (it looks like JSON: the component speaks JSON while topology.multilang.serializer is "
                + MsgpackSerializer.class.getName() + "; submit with squall's serializer = \"msgpack\", "
                + "or drop that option)"
            : " (the component must write one msgpack map per command)";
        return "expected " + what + " as a msgpack map from the subprocess, got " + format + hint;
    }
}
