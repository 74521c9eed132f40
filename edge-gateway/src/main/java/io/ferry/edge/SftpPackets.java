package io.ferry.edge;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SFTP (draft-ietf-secsh-filexfer-02, version 3) packets as the edge's relay reads and writes them: each a whole
 * packet with its length prefix, in a {@code byte[]} of its own. Only the fields the relay needs are read: a
 * request's id, type, handle and path; a reply's id; a write's offset and data.
 */
final class SftpPackets {

    static final int INIT = 1;
    static final int VERSION = 2;
    static final int OPEN = 3;
    static final int CLOSE = 4;
    static final int READ = 5;
    static final int WRITE = 6;
    static final int LSTAT = 7;
    static final int FSTAT = 8;
    static final int SETSTAT = 9;
    static final int FSETSTAT = 10;
    static final int OPENDIR = 11;
    static final int READDIR = 12;
    static final int REALPATH = 16;
    static final int STAT = 17;
    static final int READLINK = 19;
    static final int STATUS = 101;
    static final int HANDLE = 102;
    static final int NAME = 104;
    static final int ATTRS = 105;
    static final int EXTENDED = 200;
    static final int EXTENDED_REPLY = 201;

    static final int FX_OK = 0;
    static final int FX_NO_SUCH_FILE = 2;
    static final int FX_FAILURE = 4;
    static final int FX_OP_UNSUPPORTED = 8;

    static final int PF_READ = 0x01;
    static final int PF_WRITE = 0x02;
    static final int PF_APPEND = 0x04;
    static final int PF_CREAT = 0x08;
    static final int PF_TRUNC = 0x10;
    static final int PF_EXCL = 0x20;

    /** Where a request's first field after its id starts (length 4, type 1, id 4). */
    static final int BODY = 9;

    private SftpPackets() {
    }

    static int type(byte[] packet) {
        return packet[4] & 0xff;
    }

    static int id(byte[] packet) {
        return readInt(packet, 5);
    }

    static void setId(byte[] packet, int id) {
        writeInt(packet, 5, id);
    }

    /** Throws unless {@code n} bytes from {@code at} are within the packet. */
    static void need(byte[] packet, int at, int n) throws IOException {
        if (at < 0 || n < 0 || at > packet.length - n) {
            throw new IOException("SFTP packet too short");
        }
    }

    /** The uint32 at {@code at}, checked against the packet. */
    static int intAt(byte[] packet, int at) throws IOException {
        need(packet, at, 4);
        return readInt(packet, at);
    }

    /** The uint64 at {@code at}, checked against the packet. */
    static long longAt(byte[] packet, int at) throws IOException {
        need(packet, at, 8);
        return readLong(packet, at);
    }

    static int readInt(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    static long readLong(byte[] b, int at) {
        return ((long) readInt(b, at) << 32) | (readInt(b, at + 4) & 0xffffffffL);
    }

    static void writeInt(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 24);
        b[at + 1] = (byte) (value >>> 16);
        b[at + 2] = (byte) (value >>> 8);
        b[at + 3] = (byte) value;
    }

    /** The string (bytes) at {@code at}; throws when the packet is too short for it. */
    static byte[] string(byte[] packet, int at) throws IOException {
        int length = stringLength(packet, at);
        byte[] value = new byte[length];
        System.arraycopy(packet, at + 4, value, 0, length);
        return value;
    }

    /** The length of the string at {@code at}, checked against the packet. */
    static int stringLength(byte[] packet, int at) throws IOException {
        need(packet, at, 4);
        int length = readInt(packet, at);
        if (length < 0 || length > packet.length - at - 4) { // never at + 4 + length: it overflows
            throw new IOException("SFTP string beyond its packet");
        }
        return length;
    }

    /** Where the field after the string at {@code at} starts. */
    static int after(byte[] packet, int at) throws IOException {
        return at + 4 + stringLength(packet, at);
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The packet with the string at {@code at} replaced by {@code value} (a new array when the length differs). */
    static byte[] replaceString(byte[] packet, int at, byte[] value) throws IOException {
        int old = stringLength(packet, at);
        if (old == value.length) {
            System.arraycopy(value, 0, packet, at + 4, old);
            return packet;
        }
        byte[] copy = new byte[packet.length - old + value.length];
        System.arraycopy(packet, 0, copy, 0, at);
        writeInt(copy, at, value.length);
        System.arraycopy(value, 0, copy, at + 4, value.length);
        System.arraycopy(packet, at + 4 + old, copy, at + 4 + value.length, packet.length - at - 4 - old);
        writeInt(copy, 0, copy.length - 4);
        return copy;
    }

    /** A packet builder. */
    static final class Builder {
        private byte[] bytes = new byte[64];
        private int size = 4;

        Builder(int type, int id) {
            put((byte) type);
            if (type != INIT) {
                putInt(id);
            }
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        Builder put(byte b) {
            ensure(1);
            bytes[size++] = b;
            return this;
        }

        Builder putInt(int value) {
            ensure(4);
            writeInt(bytes, size, value);
            size += 4;
            return this;
        }

        Builder putLong(long value) {
            putInt((int) (value >>> 32));
            return putInt((int) value);
        }

        Builder putString(byte[] value) {
            return putString(value, 0, value.length);
        }

        Builder putString(String value) {
            return putString(value.getBytes(StandardCharsets.UTF_8));
        }

        Builder putString(byte[] value, int offset, int length) {
            putInt(length);
            ensure(length);
            System.arraycopy(value, offset, bytes, size, length);
            size += length;
            return this;
        }

        byte[] build() {
            byte[] packet = Arrays.copyOf(bytes, size);
            writeInt(packet, 0, size - 4);
            return packet;
        }
    }

    /** A status reply. */
    static byte[] status(int id, int code, String message) {
        return new Builder(STATUS, id).putInt(code).putString(message).putString("").build();
    }

    /** A status reply's code, or -1 for another kind of reply. */
    static int statusCode(byte[] reply) {
        return reply.length >= BODY + 4 && type(reply) == STATUS ? readInt(reply, BODY) : -1;
    }

    /** The size in an ATTRS reply (v3 attributes), or -1 when it carries none. */
    static long attrsSize(byte[] reply) {
        if (reply.length < BODY + 4 || type(reply) != ATTRS) {
            return -1;
        }
        int flags = readInt(reply, BODY);
        return (flags & 0x1) != 0 && reply.length >= BODY + 12 ? readLong(reply, BODY + 4) : -1;
    }

    /** The length of v3 attributes starting at {@code at}. */
    static int attrsLength(byte[] packet, int at) throws IOException {
        int flags = intAt(packet, at);
        int p = at + 4;
        p += (flags & 0x1) != 0 ? 8 : 0;
        p += (flags & 0x2) != 0 ? 8 : 0;
        p += (flags & 0x4) != 0 ? 4 : 0;
        p += (flags & 0x8) != 0 ? 8 : 0;
        need(packet, at, p - at);
        if ((flags & 0x80000000) != 0) {
            int count = intAt(packet, p);
            p += 4;
            if (count < 0 || count > packet.length) {
                throw new IOException("SFTP attributes beyond their packet");
            }
            for (int i = 0; i < count * 2; i++) {
                p = after(packet, p);
            }
        }
        return p - at;
    }

    /** One entry of a NAME reply: its file name, and where the entry starts and ends in the packet. */
    record Entry(String name, int from, int to) {
    }

    static List<Entry> entries(byte[] name) throws IOException {
        int count = intAt(name, BODY);
        if (count < 0 || count > name.length) {
            throw new IOException("an SFTP listing of " + (count & 0xffffffffL) + " names");
        }
        List<Entry> entries = new ArrayList<>(Math.min(count, 1024));
        int p = BODY + 4;
        for (int i = 0; i < count; i++) {
            int from = p;
            String file = text(string(name, p));
            p = after(name, p);
            p = after(name, p); // the long name
            p += attrsLength(name, p);
            entries.add(new Entry(file, from, p));
        }
        return entries;
    }

    /** A NAME reply with only {@code kept} of {@code name}'s entries. */
    static byte[] nameWith(byte[] name, List<Entry> kept) {
        int length = BODY + 4;
        for (Entry e : kept) {
            length += e.to() - e.from();
        }
        byte[] out = new byte[length];
        System.arraycopy(name, 0, out, 0, BODY);
        writeInt(out, 0, length - 4);
        writeInt(out, BODY, kept.size());
        int p = BODY + 4;
        for (Entry e : kept) {
            System.arraycopy(name, e.from(), out, p, e.to() - e.from());
            p += e.to() - e.from();
        }
        return out;
    }

    /** Splits a stream of bytes into whole packets. */
    static final class Framer {
        private final int max;
        private final byte[] header = new byte[4];
        private int headerFill;
        private byte[] packet;
        private int fill;
        private int size;
        /** What a packet's buffer starts with: a usual write or read (32 KiB and its header) fits. */
        private static final int FIRST = 64 * 1024;
        private final int first;

        /** A partner's packets: grown as their bytes come. */
        Framer(int max) {
            this(max, FIRST);
        }

        /** @param first what a packet's buffer starts with: {@code max} for a node's (trusted) packets, whole */
        Framer(int max, int first) {
            this.max = max;
            this.first = first;
        }

        /** The packets {@code len} more bytes complete. */
        List<byte[]> feed(byte[] buf, int off, int len) throws IOException {
            List<byte[]> out = new ArrayList<>(2);
            while (len > 0) {
                if (packet == null) {
                    int n = Math.min(4 - headerFill, len);
                    System.arraycopy(buf, off, header, headerFill, n);
                    headerFill += n;
                    off += n;
                    len -= n;
                    if (headerFill < 4) {
                        break;
                    }
                    int length = readInt(header, 0);
                    if (length < 5 || length > max) {
                        throw new IOException("an SFTP packet of " + (length & 0xffffffffL) + " bytes");
                    }
                    // grown as its bytes come, not allocated whole on the word of a 4-byte header
                    size = 4 + length;
                    packet = new byte[Math.min(size, first)];
                    System.arraycopy(header, 0, packet, 0, 4);
                    fill = 4;
                    headerFill = 0;
                }
                int n = Math.min(size - fill, len);
                if (fill + n > packet.length) {
                    packet = Arrays.copyOf(packet, Math.min(size, Math.max(fill + n, packet.length * 2)));
                }
                System.arraycopy(buf, off, packet, fill, n);
                fill += n;
                off += n;
                len -= n;
                if (fill == size) {
                    out.add(packet);
                    packet = null;
                }
            }
            return out;
        }
    }
}
