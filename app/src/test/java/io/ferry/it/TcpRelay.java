package io.ferry.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP endpoint on loopback that forwards to a port it can be moved from, for the database-failover test (issue
 * 22): what a virtual IP moved by a failover tool, or a proxy such as MaxScale or MySQL Router, is to the nodes.
 * Moving it ends every connection through it, as a moved address does. At most {@value #MAX_CONNECTIONS} connections.
 */
final class TcpRelay implements AutoCloseable {

    private static final int MAX_CONNECTIONS = 200;

    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile int target;
    private volatile boolean closed;

    private TcpRelay(ServerSocket server, int target) {
        this.server = server;
        this.target = target;
    }

    /** Listens on a free loopback port and forwards to {@code target} on loopback. */
    static TcpRelay to(int target) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TcpRelay relay = new TcpRelay(server, target);
        Thread accept = new Thread(relay::accept, "tcp-relay-" + server.getLocalPort());
        accept.setDaemon(true);
        accept.start();
        return relay;
    }

    int port() {
        return server.getLocalPort();
    }

    /** Forwards new connections to {@code newTarget}, and ends every connection made before. */
    void moveTo(int newTarget) {
        target = newTarget;
        open.forEach(TcpRelay::quietly);
        open.clear();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (open.size() >= MAX_CONNECTIONS) {
                quietly(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 2000);
            } catch (IOException e) {
                quietly(client); // nothing answers there: refused, as the address would be
                quietly(upstream);
                continue;
            }
            open.add(client);
            open.add(upstream);
            pump(client, upstream);
            pump(upstream, client);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away: both go
            } finally {
                quietly(from);
                quietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, "tcp-relay-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void quietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closed already
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        open.forEach(TcpRelay::quietly);
    }
}
