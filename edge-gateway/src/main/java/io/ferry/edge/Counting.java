package io.ferry.edge;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import io.micrometer.core.instrument.Counter;

/** Streams that count the bytes relayed through them into a meter. */
final class Counting {

    private Counting() {
    }

    static final class In extends FilterInputStream {
        private final Counter counter;

        In(InputStream in, Counter counter) {
            super(in);
            this.counter = counter;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                counter.increment();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                counter.increment(n);
            }
            return n;
        }
    }

    static final class Out extends FilterOutputStream {
        private final Counter counter;

        Out(OutputStream out, Counter counter) {
            super(out);
            this.counter = counter;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            counter.increment();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            counter.increment(len);
        }
    }
}
