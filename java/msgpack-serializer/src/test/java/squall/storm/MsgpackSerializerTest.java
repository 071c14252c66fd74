package squall.storm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.storm.multilang.BoltMsg;
import org.apache.storm.multilang.NoOutputException;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.multilang.SpoutMsg;
import org.junit.Test;

/** The serializer over byte streams, against the frames squall's Python codec writes. */
public class MsgpackSerializerTest {
    private static final Properties FRAMES = loadFrames();

    private static Properties loadFrames() {
        Properties p = new Properties();
        try (InputStream in = MsgpackSerializerTest.class.getResourceAsStream("frames.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return p;
    }

    static byte[] frame(String name) {
        String hex = FRAMES.getProperty(name);
        if (hex == null) {
            throw new IllegalArgumentException("no frame " + name + " in frames.properties");
        }
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    /** A serializer reading {@code input}, writing into {@code output}. */
    static MsgpackSerializer serializer(byte[] input, ByteArrayOutputStream output) {
        MsgpackSerializer s = new MsgpackSerializer();
        s.initialize(output, new ByteArrayInputStream(input));
        return s;
    }

    static ShellMsg read(String name) throws Exception {
        return serializer(frame(name), new ByteArrayOutputStream()).readShellMsg();
    }

    static IOException readError(byte[] input) throws Exception {
        try {
            serializer(input, new ByteArrayOutputStream()).readShellMsg();
        } catch (IOException e) {
            return e;
        }
        fail("expected an IOException");
        return null;
    }

    @Test
    public void spoutTrackedEmit() throws Exception {
        ShellMsg m = read("to_java.emit_spout_tracked");
        assertEquals("emit", m.getCommand());
        assertEquals(Arrays.asList("the cow"), m.getTuple());
        assertEquals(7, m.getId());
        assertEquals("default", m.getStream());
        assertEquals(0, m.getTask());
        assertFalse(m.areTaskIdsNeeded());
        assertNull(m.getAnchors());
    }

    @Test
    public void unreliableEmitHasNoId() throws Exception {
        ShellMsg m = read("to_java.emit_spout_unreliable");
        assertNull(m.getId());
        assertFalse(m.areTaskIdsNeeded());
    }

    @Test
    public void boltEmitOnAStreamWithAnchors() throws Exception {
        ShellMsg m = read("to_java.emit_stream_anchors");
        assertEquals("words", m.getStream());
        assertEquals(Arrays.asList("5", "-6"), m.getAnchors());
        assertEquals(Arrays.asList((Object) 1), m.getTuple());
    }

    @Test
    public void fastAnchoredEmitAndAck() throws Exception {
        ShellMsg emit = read("to_java.emit_fast_anchored");
        assertEquals(Arrays.asList("-9"), emit.getAnchors());
        assertEquals(Arrays.asList("a", 2), emit.getTuple());
        assertFalse(emit.areTaskIdsNeeded());
        ShellMsg ack = read("to_java.ack_fast");
        assertEquals("ack", ack.getCommand());
        assertEquals("-9", ack.getId());
    }

    @Test
    public void needTaskIds() throws Exception {
        assertTrue(read("to_java.emit_need_task_ids").areTaskIdsNeeded());
    }

    @Test
    public void directEmitTaskIsALong() throws Exception {
        ShellMsg m = read("to_java.emit_direct");
        assertEquals(4L, m.getTask());
        assertEquals("direct", m.getStream());
    }

    @Test
    public void ackFailLogErrorSyncMetrics() throws Exception {
        ShellMsg ack = read("to_java.ack");
        assertEquals("ack", ack.getCommand());
        assertEquals("-42", ack.getId());
        ShellMsg failed = read("to_java.fail");
        assertEquals("fail", failed.getCommand());
        assertEquals("17", failed.getId());
        ShellMsg log = read("to_java.log_warn");
        assertEquals("careful", log.getMsg());
        assertEquals(ShellMsg.ShellLogLevel.WARN, log.getLogLevel());
        ShellMsg error = read("to_java.error");
        assertEquals("error", error.getCommand());
        assertEquals("boom", error.getMsg());
        assertEquals("sync", read("to_java.sync").getCommand());
        ShellMsg metrics = read("to_java.metrics");
        assertEquals("latency", metrics.getMetricName());
        assertEquals(Arrays.asList(1, 2), metrics.getMetricParams());
    }

    @Test
    public void valuesOfEveryType() throws Exception {
        List<Object> t = read("to_java.emit_values").getTuple();
        List<Object> expected = expectedValues();
        assertEquals(expected.size(), t.size());
        for (int i = 0; i < expected.size(); i++) {
            if (expected.get(i) instanceof byte[]) {
                assertArrayEquals((byte[]) expected.get(i), (byte[]) t.get(i));
            } else {
                assertEquals("value " + i, expected.get(i), t.get(i));
                if (expected.get(i) instanceof List) {
                    assertEquals(java.util.ArrayList.class, t.get(i).getClass());  // Kryo knows it
                }
                if (expected.get(i) != null && !(expected.get(i) instanceof List)) {
                    assertEquals("class of value " + i, expected.get(i).getClass(), t.get(i).getClass());
                }
            }
        }
    }

    /** tests/protocol/msgpack_frames.py VALUES, as Storm's JSON reader types them (plus byte[]). */
    static List<Object> expectedValues() {
        Map<String, Object> inner = new HashMap<>();
        inner.put("n", Collections.singletonList(null));
        Map<String, Object> outer = new HashMap<>();
        outer.put("k", inner);
        BigInteger big = BigInteger.ONE.shiftLeft(70);
        return Arrays.asList(null, true, false, 0, -1, 127, 128, -33, 1L << 31, 1L << 40, Long.MIN_VALUE,
            BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE), big, big.negate(), 1.5, "",
            "h\u00e9llo", new byte[] {0, (byte) 0xff}, Arrays.asList(1, Arrays.asList(2, "x")), outer);
    }

    @Test
    public void writesTuplesAsPythonReadsThem() throws Exception {
        assertBolt("to_python.tuple", "-5", "spout", "default", 3, Arrays.asList("a", 1));
        assertBolt("to_python.tuple_values", "8", "spout", "default", 3, expectedValues());
        assertBolt("to_python.heartbeat", "-1", null, "__heartbeat", -1, Collections.emptyList());
        assertBolt("to_python.tick", "9", "__system", "__tick", -1, Arrays.asList((Object) 30));
    }

    private static void assertBolt(String name, String id, String comp, String stream, long task,
                                   List<Object> tuple) throws Exception {
        BoltMsg msg = new BoltMsg();
        msg.setId(id);
        msg.setComp(comp);
        msg.setStream(stream);
        msg.setTask(task);
        msg.setTuple(tuple);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer(new byte[0], out).writeBoltMsg(msg);
        assertEquals(name, hex(frame(name)), hex(out.toByteArray()));
    }

    @Test
    public void writesSpoutCommandsAndTaskIds() throws Exception {
        assertSpout("to_python.next", "next", "");
        assertSpout("to_python.spout_ack", "ack", 7);
        assertSpout("to_python.spout_fail", "fail", "m-1");
        assertSpout("to_python.activate", "activate", "");
        assertSpout("to_python.deactivate", "deactivate", "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer(new byte[0], out).writeTaskIds(Arrays.asList(3, 4));
        assertEquals(hex(frame("to_python.task_ids")), hex(out.toByteArray()));
    }

    private static void assertSpout(String name, String command, Object id) throws Exception {
        SpoutMsg msg = new SpoutMsg();
        msg.setCommand(command);
        msg.setId(id);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer(new byte[0], out).writeSpoutMsg(msg);
        assertEquals(name, hex(frame(name)), hex(out.toByteArray()));
    }

    @Test
    public void spoutMessageIdsRoundTrip() throws Exception {
        Object id = read("to_java.emit_spout_tracked").getId();
        SpoutMsg msg = new SpoutMsg();
        msg.setCommand("ack");
        msg.setId(id);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer(new byte[0], out).writeSpoutMsg(msg);
        assertEquals(hex(frame("to_python.spout_ack")), hex(out.toByteArray()));
    }

    @Test
    public void consecutiveMessagesOnOneStream() throws Exception {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write(frame("to_java.emit_fast_anchored"));
        in.write(frame("to_java.ack_fast"));
        in.write(frame("to_java.sync"));
        MsgpackSerializer s = serializer(in.toByteArray(), new ByteArrayOutputStream());
        assertEquals("emit", s.readShellMsg().getCommand());
        assertEquals("ack", s.readShellMsg().getCommand());
        assertEquals("sync", s.readShellMsg().getCommand());
        try {
            s.readShellMsg();
            fail("expected NoOutputException at the end of the stream");
        } catch (NoOutputException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("Pipe to subprocess seems to be broken!"));
            assertTrue(e.getMessage(), e.getMessage().endsWith("Serializer Exception:\n"));
        }
    }

    @Test
    public void anObjectCutShortIsABrokenPipe() throws Exception {
        byte[] whole = frame("to_java.ack");
        MsgpackSerializer s = serializer(Arrays.copyOf(whole, whole.length - 2), new ByteArrayOutputStream());
        try {
            s.readShellMsg();
            fail("expected NoOutputException");
        } catch (NoOutputException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("ends inside a msgpack object"));
        }
    }

    @Test
    public void jsonInputSaysTheSerializersDisagree() throws Exception {
        IOException e = readError("{\"command\": \"sync\"}\nend\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(e.getMessage(), e.getMessage().contains("it looks like JSON"));
    }

    @Test
    public void aNonMapCommandIsRefused() throws Exception {
        IOException e = readError(frame("to_python.task_ids"));
        assertTrue(e.getMessage(), e.getMessage().contains("expected a command as a msgpack map"));
    }

    @Test
    public void badAnchorsAreNamed() throws Exception {
        IOException e = readError(frame("to_java.bad_anchor"));
        assertEquals("command 'emit' from the subprocess: \"anchors\" must be a list of tuple ids (strings), "
            + "got Integer 5", e.getMessage());
    }

    @Test
    public void aMessageWithoutCommandIsRefused() throws Exception {
        IOException e = readError(frame("to_java.no_command"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("a message from the subprocess has no \"command\""));
    }

    @Test
    public void unknownExtensionTypesAreRefused() throws Exception {
        IOException e = readError(frame("to_java.big_ext_unknown"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("msgpack extension type 9 is not supported"));
    }

    @Test
    public void aValueItCannotCarryNamesItsFieldAndClass() throws Exception {
        BoltMsg msg = new BoltMsg();
        msg.setId("1");
        msg.setComp("kafka");
        msg.setStream("default");
        msg.setTuple(Arrays.asList("ok", new Date(0)));
        try {
            serializer(new byte[0], new ByteArrayOutputStream()).writeBoltMsg(msg);
            fail("expected an IOException");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("the msgpack multi-lang serializer cannot carry "
                + "value 1 of a tuple from component 'kafka' on stream 'default': a java.util.Date;"));
        }
    }

    @Test
    public void otherJavaTypesBecomeTheirNearestMsgpack() throws Exception {
        BoltMsg msg = new BoltMsg();
        msg.setId("1");
        msg.setComp("java");
        msg.setStream("default");
        msg.setTuple(Arrays.asList((short) 3, (byte) 4, 'c', 2.5f, new java.math.BigDecimal("0.5"),
            new int[] {1, 2}, new java.util.TreeSet<>(Arrays.asList("b", "a"))));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer(new byte[0], out).writeBoltMsg(msg);
        ByteArrayOutputStream replay = new ByteArrayOutputStream();
        replay.write(0x82);  // re-read the tuple array through a command map
        replay.write(frame("to_java.sync"), 1, frame("to_java.sync").length - 1);
        byte[] written = out.toByteArray();
        String tupleHex = hex(written).substring(hex(written).indexOf("a57475706c65"));
        byte[] tupleKv = new byte[tupleHex.length() / 2];
        for (int i = 0; i < tupleKv.length; i++) {
            tupleKv[i] = (byte) Integer.parseInt(tupleHex.substring(2 * i, 2 * i + 2), 16);
        }
        replay.write(tupleKv);
        List<Object> back = serializer(replay.toByteArray(), new ByteArrayOutputStream()).readShellMsg().getTuple();
        assertEquals(Arrays.asList(3, 4, "c", 2.5, 0.5, Arrays.asList(1, 2), Arrays.asList("a", "b")), back);
    }
}
