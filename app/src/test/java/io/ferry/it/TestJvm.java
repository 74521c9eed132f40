package io.ferry.it;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line the tests start node and edge JVMs with: this JVM's {@code java}, a heap cap, and flags that make
 * a Spring Boot start about a third faster where several JVMs share two cores (C1 only, one compiler thread, the
 * serial collector; measured: three nodes started at once in 48 s instead of 79 s). Not for {@code ExecutableJarIT},
 * which starts the jar exactly as the README says.
 */
final class TestJvm {

    private TestJvm() {
    }

    /** {@code java -Xmx<heap> <flags> -jar <jar>}, to which the caller adds its arguments. */
    static List<String> jar(String heap, String jar) {
        return jar(heap, jar, false);
    }

    /**
     * As {@link #jar(String, String)}; with {@code fullJit}, the JVM compiles with C2 as well: slower to start, but
     * several times faster at moving a large file (the SSH ciphers and the storage's encryption are intrinsics and
     * vector code only C2 compiles).
     */
    static List<String> jar(String heap, String jar, boolean fullJit) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx" + heap);
        if (!fullJit) {
            command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1"));
        }
        command.addAll(List.of("-XX:+UseSerialGC", "-jar", jar));
        return command;
    }
}
