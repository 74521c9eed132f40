package io.ferry.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network partition on loopback for the fault tests (issue 22): nft rules of the test's own (table
 * {@value #TABLE}) that drop every packet between one node's cluster address and the others', so it still reaches the
 * database and its partners (on 127.0.0.1) but not its peers. {@link #close()} always removes the table; CI removes a
 * leftover one before the build.
 */
final class Partition implements AutoCloseable {

    static final String TABLE = "ferry_test_partition";

    private Partition() {
    }

    /** Cuts {@code cutOff} (a loopback address) from {@code others}, both ways. */
    static Partition cut(String cutOff, List<String> others) throws IOException {
        String peers = "{ " + String.join(", ", others) + " }";
        String rules = "table inet " + TABLE + " {\n"
                + "  chain input {\n"
                + "    type filter hook input priority filter; policy accept;\n"
                + "    ip saddr " + cutOff + " ip daddr " + peers + " drop\n"
                + "    ip saddr " + peers + " ip daddr " + cutOff + " drop\n"
                + "  }\n"
                + "}\n";
        remove();
        nft(rules, true, "-f", "-");
        return new Partition();
    }

    /** Removes the partition's table if there is one. */
    static void remove() throws IOException {
        nft(null, false, "delete", "table", "inet", TABLE); // fails when there is none: nothing to remove
    }

    private static void nft(String input, boolean mustSucceed, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("nft"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (input != null) {
            process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        process.getOutputStream().close();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("nft did not finish in 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0 && mustSucceed) {
            throw new IOException("nft " + String.join(" ", command) + " failed: " + output
                    + " -- the partition test adds nft rules on loopback and needs root (as CI runs)");
        }
    }

    @Override
    public void close() throws IOException {
        remove();
    }
}
