package io.ferry.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The stock OpenSSH {@code sftp} binary in batch mode, with a key made by {@code ssh-keygen}. */
final class OpenSshClient {

    record Result(int exitCode, String stdout, String stderr) {
        String output() {
            return stdout + stderr;
        }
    }

    private final Path dir;
    private final Path key;

    OpenSshClient(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        this.key = dir.resolve("id_ed25519");
        Result keygen = run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "it@ferry", "-f",
                key.toString()), Map.of(), null, null);
        if (keygen.exitCode() != 0) {
            throw new IllegalStateException("ssh-keygen failed: " + keygen);
        }
    }

    /** The private key file, in OpenSSH format. */
    String privateKey() throws IOException {
        return Files.readString(key);
    }

    String publicKey() throws IOException {
        return Files.readString(dir.resolve("id_ed25519.pub")).trim();
    }

    /** Runs a batch of sftp commands as the user, logging in with the key. */
    Result batch(int port, String user, Path workDir, String... commands) throws IOException, InterruptedException {
        Path batch = Files.writeString(dir.resolve("batch-" + System.nanoTime()), String.join("\n", commands) + "\n");
        List<String> command = new ArrayList<>(List.of("sftp", "-b", batch.toString(), "-i", key.toString(),
                "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
                "-o", "KbdInteractiveAuthentication=no"));
        command.addAll(common(port, user));
        return run(command, Map.of(), workDir, null);
    }

    /**
     * Runs commands logging in with a password, given to ssh through SSH_ASKPASS. {@code sftp -b} would force
     * BatchMode (no password prompts), so the commands come on standard input instead.
     */
    Result batchWithPassword(int port, String user, String password, Path workDir, String... commands)
            throws IOException, InterruptedException {
        Path batch = Files.writeString(dir.resolve("batch-" + System.nanoTime()), String.join("\n", commands) + "\n");
        Path askpass = dir.resolve("askpass-" + System.nanoTime() + ".sh");
        Files.writeString(askpass, "#!/bin/sh\nprintf '%s\\n' '" + password + "'\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(askpass, PosixFilePermissions.fromString("rwx------"));
        List<String> command = new ArrayList<>(List.of("sftp", "-o", "PubkeyAuthentication=no",
                "-o", "NumberOfPasswordPrompts=1"));
        command.addAll(common(port, user));
        return run(command, Map.of("SSH_ASKPASS", askpass.toString(), "SSH_ASKPASS_REQUIRE", "force",
                "DISPLAY", ":0"), workDir, batch);
    }

    /** OpenSSH's own SFTP server, the anchor Ferry is compared with. */
    static final String SFTP_SERVER = "/usr/lib/openssh/sftp-server";

    /**
     * Runs a batch of sftp commands against OpenSSH's own {@code sftp-server} started by the client ({@code sftp -D}),
     * in {@code serverDir}: the anchor's answers to the same commands, without a daemon or a login.
     */
    Result anchorBatch(Path serverDir, Path workDir, String... commands) throws IOException, InterruptedException {
        Path batch = Files.writeString(dir.resolve("batch-" + System.nanoTime()), String.join("\n", commands) + "\n");
        Path server = dir.resolve("sftp-server-in-" + System.nanoTime() + ".sh");
        Files.writeString(server, "#!/bin/sh\ncd '" + serverDir + "' && exec " + SFTP_SERVER + "\n");
        Files.setPosixFilePermissions(server, PosixFilePermissions.fromString("rwx------"));
        return run(List.of("sftp", "-b", batch.toString(), "-D", server.toString()), Map.of(), workDir, null);
    }

    private static List<String> common(int port, String user) {
        return List.of("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", "-P", String.valueOf(port), user + "@127.0.0.1");
    }

    private Result run(List<String> command, Map<String, String> env, Path workDir, Path stdin)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory((workDir == null ? dir : workDir).toFile());
        builder.environment().putAll(env);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(
                stdin == null ? new java.io.File("/dev/null") : stdin.toFile()));
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " did not finish in 120 s");
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
