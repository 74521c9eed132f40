package io.ferry.common;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * FTP's path rule, for the node's FTPS and the edge's alike: a name a client sends (RFC 959 leaves its form to the
 * server) is read from the working directory as a slash-separated path, {@code .} and {@code ..} resolved, never
 * above the root, so {@code ../../etc} from the home is {@code /etc} inside the home. The storage's jail then
 * checks the real path as for every protocol.
 */
public final class FtpPaths {

    private FtpPaths() {
    }

    /** The absolute form of {@code name} seen from {@code cwd} (blank: {@code cwd} itself). */
    public static String absolute(String cwd, String name) {
        String path = name == null || name.isBlank() ? cwd : name.startsWith("/") ? name : cwd + "/" + name;
        Deque<String> parts = new ArrayDeque<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(part);
            }
        }
        return "/" + String.join("/", parts);
    }
}
