package squall.storm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.storm.generated.Bolt;
import org.apache.storm.generated.ComponentCommon;
import org.apache.storm.generated.ComponentObject;
import org.apache.storm.generated.GlobalStreamId;
import org.apache.storm.generated.Grouping;
import org.apache.storm.generated.NullStruct;
import org.apache.storm.generated.ShellComponent;
import org.apache.storm.generated.SpoutSpec;
import org.apache.storm.generated.StateSpoutSpec;
import org.apache.storm.generated.StormTopology;
import org.apache.storm.generated.StreamInfo;
import org.apache.storm.shade.net.minidev.json.JSONValue;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.tuple.Fields;
import org.junit.Test;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/** The handshake: the same conf and context Storm's JsonSerializer sends, and the pid reply. */
public class HandshakeTest {

    static TopologyContext context(String pidDir) {
        ComponentObject shell = ComponentObject.shell(new ShellComponent("python3", "x.py"));
        Map<String, StreamInfo> spoutStreams = new HashMap<>();
        spoutStreams.put("default", new StreamInfo(Arrays.asList("sentence"), false));
        SpoutSpec spout = new SpoutSpec(shell, new ComponentCommon(new HashMap<>(), spoutStreams));
        Map<GlobalStreamId, Grouping> inputs = new HashMap<>();
        inputs.put(new GlobalStreamId("sentences", "default"), Grouping.fields(Arrays.asList("sentence")));
        Map<String, StreamInfo> boltStreams = new HashMap<>();
        boltStreams.put("default", new StreamInfo(Arrays.asList("word"), false));
        boltStreams.put("words", new StreamInfo(Arrays.asList("word", "n"), false));
        Bolt split = new Bolt(shell, new ComponentCommon(inputs, boltStreams));
        Map<GlobalStreamId, Grouping> countInputs = new HashMap<>();
        countInputs.put(new GlobalStreamId("split", "default"), Grouping.shuffle(new NullStruct()));
        Bolt count = new Bolt(shell, new ComponentCommon(countInputs, new HashMap<>()));
        Map<String, Bolt> bolts = new HashMap<>();
        bolts.put("split", split);
        bolts.put("count", count);
        StormTopology topology = new StormTopology(Collections.singletonMap("sentences", spout), bolts,
            new HashMap<String, StateSpoutSpec>());
        Map<Integer, String> taskToComponent = new HashMap<>();
        taskToComponent.put(1, "count");
        taskToComponent.put(2, "sentences");
        taskToComponent.put(3, "split");
        Map<String, List<Integer>> componentTasks = new HashMap<>();
        componentTasks.put("count", Arrays.asList(1));
        componentTasks.put("sentences", Arrays.asList(2));
        componentTasks.put("split", Arrays.asList(3));
        Map<String, Map<String, Fields>> fields = new HashMap<>();
        fields.put("sentences", Collections.singletonMap("default", new Fields("sentence")));
        Map<String, Fields> splitFields = new HashMap<>();
        splitFields.put("default", new Fields("word"));
        splitFields.put("words", new Fields("word", "n"));
        fields.put("split", splitFields);
        fields.put("count", new HashMap<>());
        return new TopologyContext(topology, new HashMap<>(), taskToComponent, componentTasks, fields,
            new HashMap<>(), "wc-1-1", "/code", pidDir, 3, 6700, Arrays.asList(1, 2, 3), new HashMap<>(),
            new HashMap<>(), new HashMap<>(), new HashMap<>(), new AtomicBoolean(false), null);
    }

    @Test
    public void sendsWhatJsonSendsAndReturnsThePid() throws Exception {
        TopologyContext context = context("/tmp/pids");
        Map<String, Object> conf = new HashMap<>();
        conf.put("topology.name", "wc");
        conf.put("topology.workers", 2);
        conf.put("odd", new StringBuilder("as text"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MsgpackSerializer s = MsgpackSerializerTest.serializer(
            MsgpackSerializerTest.frame("to_java.handshake_reply"), out);
        assertEquals(1234, s.connect(conf, context).intValue());

        MessageUnpacker u = MessagePack.newDefaultUnpacker(new ByteArrayInputStream(out.toByteArray()));
        Map<String, Object> setup = MsgpackValues.unpackMap(u);
        assertEquals("/tmp/pids", setup.get("pidDir"));
        Map<String, Object> expectedConf = new HashMap<>(conf);
        expectedConf.put("odd", "as text");
        assertEquals(expectedConf, setup.get("conf"));
        assertEquals(JSONValue.parse(context.toJSONString()), setup.get("context"));
        assertTrue(((Map<?, ?>) setup.get("context")).containsKey("task->component"));
    }

    @Test
    public void aReplyWithoutPidIsRefused() throws Exception {
        MsgpackSerializer s = MsgpackSerializerTest.serializer(
            MsgpackSerializerTest.frame("to_java.sync"), new ByteArrayOutputStream());
        try {
            s.connect(new HashMap<>(), context("/tmp/pids"));
            fail("expected an IOException");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith(
                "the subprocess answered the handshake with {command=sync} instead of {\"pid\": <int>}"));
        }
    }
}
