package io.ferry.edge;

import java.io.IOException;
import java.io.InputStream;
import java.util.EnumSet;

import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.impl.AbstractSftpClient;
import org.apache.sshd.sftp.client.impl.SftpInputStreamAsync;

/**
 * An FTPS download the edge bridges onto the node's SFTP ({@link FtpsBridgeTransfers}), carried over to another node
 * when its node dies: the file is opened again on the node that takes the session and read on from the offset the
 * partner has. The data connection waits meanwhile.
 */
final class BridgedDownload extends InputStream {

    private static final int BUFFER = 256 * 1024;

    private final SftpView view;
    private final String path;
    private final long size;
    private SftpClient channel;
    private SftpClient.CloseableHandle handle;
    private SftpInputStreamAsync in;
    private long position;
    private boolean failedOver;
    private long pauseMillis;

    BridgedDownload(SftpView view, String path, long size, SftpClient channel, SftpClient.CloseableHandle handle,
            long offset) {
        this.view = view;
        this.path = path;
        this.size = size;
        this.channel = channel;
        this.handle = handle;
        this.position = offset;
        this.in = new SftpInputStreamAsync((AbstractSftpClient) channel, BUFFER, offset, size, path, handle, false);
    }

    SftpClient channel() {
        return channel;
    }

    SftpClient.CloseableHandle handle() {
        return handle;
    }

    boolean failedOver() {
        return failedOver;
    }

    /** How long the transfer waited for its failovers. */
    long pauseMillis() {
        return pauseMillis;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        for (int attempt = 0;; attempt++) {
            try {
                int n = in.read(b, off, len);
                if (n > 0) {
                    position += n;
                }
                return n;
            } catch (IOException e) {
                if (attempt >= 3) {
                    throw e;
                }
                long started = System.nanoTime();
                channel = view.channelAfter(channel, e);
                handle = channel.open(path, EnumSet.of(SftpClient.OpenMode.Read));
                in = new SftpInputStreamAsync((AbstractSftpClient) channel, BUFFER, position, size, path, handle,
                        false);
                failedOver = true;
                pauseMillis += (System.nanoTime() - started) / 1_000_000;
            }
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
