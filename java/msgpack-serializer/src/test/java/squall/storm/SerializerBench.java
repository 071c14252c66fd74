package squall.storm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.storm.multilang.BoltMsg;
import org.apache.storm.multilang.ISerializer;
import org.apache.storm.multilang.JsonSerializer;

/**
 * The Java side's cost per message, msgpack against Storm's JsonSerializer in one JVM:
 * read an anchored emit and an ack (as squall's Python side writes them), write a
 * one-word tuple. Not a test: run it with {@code python bench/java_serializer_bench.py}.
 */
public final class SerializerBench {
    private static final String ID = "-6955786537413359385";

    private SerializerBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 500_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        byte[] json = (("{\"command\":\"emit\",\"tuple\":[\"apple\"],\"anchors\":[\"" + ID + "\"],"
            + "\"need_task_ids\":false}\nend\n{\"command\":\"ack\",\"id\":\"" + ID + "\"}\nend\n")
            .getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream pair = new ByteArrayOutputStream();
        pair.write(MsgpackSerializerTest.frame("to_java.emit_fast_anchored"));
        pair.write(MsgpackSerializerTest.frame("to_java.ack_fast"));
        byte[] msgpack = pair.toByteArray();
        double[] bestJson = {Double.MAX_VALUE, Double.MAX_VALUE};
        double[] bestMsgpack = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int r = 0; r < rounds; r++) {  // alternate, keep the best of each
            keepBest(bestJson, run(new JsonSerializer(), json, n));
            keepBest(bestMsgpack, run(new MsgpackSerializer(), msgpack, n));
        }
        System.out.printf("JsonSerializer     read %6.0f ns/message  write %6.0f ns/tuple%n", bestJson[0], bestJson[1]);
        System.out.printf("MsgpackSerializer  read %6.0f ns/message  write %6.0f ns/tuple%n", bestMsgpack[0], bestMsgpack[1]);
        System.out.printf("msgpack/JSON       read %5.2fx faster     write %5.2fx faster%n",
            bestJson[0] / bestMsgpack[0], bestJson[1] / bestMsgpack[1]);
    }

    private static void keepBest(double[] best, double[] now) {
        best[0] = Math.min(best[0], now[0]);
        best[1] = Math.min(best[1], now[1]);
    }

    private static double[] run(ISerializer serializer, byte[] pair, int n) throws Exception {
        ByteArrayOutputStream input = new ByteArrayOutputStream(pair.length * n);
        for (int i = 0; i < n; i++) {
            input.write(pair);
        }
        serializer.initialize(OutputStream.nullOutputStream(), new ByteArrayInputStream(input.toByteArray()));
        long start = System.nanoTime();
        for (int i = 0; i < 2 * n; i++) {
            serializer.readShellMsg();
        }
        long read = System.nanoTime();
        BoltMsg msg = new BoltMsg();
        msg.setId(ID);
        msg.setComp("split");
        msg.setStream("default");
        msg.setTask(3);
        msg.setTuple(Arrays.asList((Object) "apple"));
        for (int i = 0; i < n; i++) {
            serializer.writeBoltMsg(msg);
        }
        long written = System.nanoTime();
        return new double[] {(read - start) / (2.0 * n), (written - read) / (double) n};
    }
}
