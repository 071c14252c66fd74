package squall.storm;

import java.io.IOException;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;

/**
 * Values between Java objects and msgpack, with the types a JSON topology can carry.
 *
 * <p>Reading gives what Storm's JSON reader gives, so downstream Java code sees the same
 * types whichever serializer runs: Integer when the value fits, else Long, else
 * BigInteger; Double; String; Boolean; null; ArrayList; HashMap; plus byte[] for msgpack
 * bin. Writing accepts those, the other boxed numbers, Character, BigDecimal (as a
 * double, as JSON would), any Collection or array, and refuses anything else with an
 * error naming the class.
 */
final class MsgpackValues {
    /** msgpack extension type of integers beyond 64 bits: two's complement, big-endian. */
    static final byte BIG_INTEGER_EXT = 1;

    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** What to do with a value of a class msgpack cannot carry. */
    enum Unknown { REFUSE, AS_TEXT }

    /** A value of a class the serializer cannot carry. */
    static final class UnsupportedValueException extends IOException {
        private static final long serialVersionUID = 1L;

        UnsupportedValueException(String message) {
            super(message);
        }
    }

    private MsgpackValues() {
    }

    /** Pack a tuple's values; an unsupported value's error names its field, component and stream. */
    static void packTuple(MessagePacker p, List<Object> tuple, String comp, String stream) throws IOException {
        p.packArrayHeader(tuple.size());
        int index = 0;
        for (Object value : tuple) {
            pack(p, value, Unknown.REFUSE, "value " + index + " of a tuple from component '" + comp
                + "' on stream '" + stream + "'");
            index++;
        }
    }

    /** Pack one value; {@code where} names it in the error for a value that cannot be carried. */
    static void pack(MessagePacker p, Object v, Unknown unknown, String where) throws IOException {
        if (v == null) {
            p.packNil();
        } else if (v instanceof String) {
            p.packString((String) v);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            p.packLong(((Number) v).longValue());
        } else if (v instanceof Double) {
            p.packDouble((Double) v);
        } else if (v instanceof Boolean) {
            p.packBoolean((Boolean) v);
        } else if (v instanceof List) {
            packList(p, (List<?>) v, unknown, where);
        } else if (v instanceof Map) {
            packMap(p, (Map<?, ?>) v, unknown, where);
        } else if (v instanceof byte[]) {
            byte[] bytes = (byte[]) v;
            p.packBinaryHeader(bytes.length);
            p.writePayload(bytes);
        } else {
            packOther(p, v, unknown, where);
        }
    }

    private static void packOther(MessagePacker p, Object v, Unknown unknown, String where) throws IOException {
        if (v instanceof Float) {
            p.packFloat((Float) v);
        } else if (v instanceof BigInteger) {
            packBigInteger(p, (BigInteger) v);
        } else if (v instanceof BigDecimal) {
            p.packDouble(((BigDecimal) v).doubleValue());
        } else if (v instanceof Character) {
            p.packString(v.toString());
        } else if (v instanceof Collection) {
            Collection<?> c = (Collection<?>) v;
            p.packArrayHeader(c.size());
            for (Object item : c) {
                pack(p, item, unknown, where);
            }
        } else if (v.getClass().isArray()) {
            int n = Array.getLength(v);
            p.packArrayHeader(n);
            for (int i = 0; i < n; i++) {
                pack(p, Array.get(v, i), unknown, where);
            }
        } else if (unknown == Unknown.AS_TEXT) {
            p.packString(v.toString());
        } else {
            throw new UnsupportedValueException("the msgpack multi-lang serializer cannot carry " + where
                + ": a " + v.getClass().getName() + "; carry strings, numbers, booleans, null, byte[], "
                + "lists or maps of those (convert it in the Java component), or use the JSON serializer");
        }
    }

    private static void packList(MessagePacker p, List<?> list, Unknown unknown, String where) throws IOException {
        p.packArrayHeader(list.size());
        for (Object item : list) {
            pack(p, item, unknown, where);
        }
    }

    private static void packMap(MessagePacker p, Map<?, ?> map, Unknown unknown, String where) throws IOException {
        p.packMapHeader(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) {
            pack(p, e.getKey(), unknown, where);
            pack(p, e.getValue(), unknown, where);
        }
    }

    private static void packBigInteger(MessagePacker p, BigInteger v) throws IOException {
        if (v.compareTo(LONG_MIN) >= 0 && v.compareTo(UINT64_MAX) <= 0) {
            p.packBigInteger(v);
        } else {
            byte[] bytes = v.toByteArray();
            p.packExtensionTypeHeader(BIG_INTEGER_EXT, bytes.length);
            p.writePayload(bytes);
        }
    }

    /** Unpack the next value. */
    static Object unpack(MessageUnpacker u) throws IOException {
        MessageFormat format = u.getNextFormat();
        switch (format.getValueType()) {
            case NIL:
                u.unpackNil();
                return null;
            case BOOLEAN:
                return u.unpackBoolean();
            case INTEGER:
                return unpackInteger(u, format);
            case FLOAT:
                return u.unpackDouble();
            case STRING:
                return u.unpackString();
            case BINARY:
                return u.readPayload(u.unpackBinaryHeader());
            case ARRAY:
                return unpackList(u);
            case MAP:
                return unpackMap(u);
            case EXTENSION:
                return unpackExtension(u);
            default:
                throw new IOException("msgpack value of format " + format + " is not supported");
        }
    }

    private static Object unpackInteger(MessageUnpacker u, MessageFormat format) throws IOException {
        switch (format) {
            case UINT64:
                BigInteger big = u.unpackBigInteger();
                return big.bitLength() < 64 ? narrow(big.longValue()) : big;
            case INT64:
            case UINT32:
                return narrow(u.unpackLong());
            default:
                return u.unpackInt();
        }
    }

    private static Object narrow(long v) {
        return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? (Object) (int) v : (Object) v;
    }

    private static Object unpackExtension(MessageUnpacker u) throws IOException {
        ExtensionTypeHeader header = u.unpackExtensionTypeHeader();
        byte[] payload = u.readPayload(header.getLength());
        if (header.getType() == BIG_INTEGER_EXT && payload.length > 0) {
            return new BigInteger(payload);
        }
        throw new IOException("msgpack extension type " + header.getType() + " is not supported (only "
            + BIG_INTEGER_EXT + ", big integers); emit strings, numbers, booleans, None, bytes, lists or dicts");
    }

    /** Unpack an array into an ArrayList. */
    static List<Object> unpackList(MessageUnpacker u) throws IOException {
        int n = u.unpackArrayHeader();
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(unpack(u));
        }
        return list;
    }

    /** Unpack a map into a HashMap (keys of any type; commands have string keys). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> unpackMap(MessageUnpacker u) throws IOException {
        int n = u.unpackMapHeader();
        Map<Object, Object> map = new HashMap<>(Math.max(4, n * 2));
        for (int i = 0; i < n; i++) {
            Object key = unpack(u);
            map.put(key, unpack(u));
        }
        return (Map<String, Object>) (Map<?, ?>) map;
    }
}
