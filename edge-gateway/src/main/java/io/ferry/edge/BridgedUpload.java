package io.ferry.edge;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.EnumSet;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.sftp.client.RawSftpClient;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.client.impl.AbstractSftpClient;
import org.apache.sshd.sftp.client.impl.SftpOutputStreamAsync;
import org.apache.sshd.sftp.common.SftpConstants;

/**
 * An FTPS upload the edge bridges onto the node's SFTP ({@link FtpsBridgeTransfers}), carried over to another node
 * when its node dies, as an SFTP partner's is ({@link SftpChannelRelay}, by the same rule: {@link UploadResume}): every
 * {@code checkpoint-bytes} the edge waits for the node to acknowledge what it sent and asks it for
 * {@code fsync@openssh.com}, and keeps in memory only what it sent since. When the node's session dies, the upload is
 * opened again on the node that takes the session, from what that node kept, and what the edge holds from there is
 * sent again; the data connection waits meanwhile. Unlike SFTP, the checkpoint waits here: the partner's bytes come
 * through a blocking stream.
 */
final class BridgedUpload extends OutputStream {

    private static final int BUFFER = 256 * 1024;

    private final SftpView view;
    private final String path;
    private final EdgeProperties.Failover failover;
    private SftpClient channel;
    private SftpClient.CloseableHandle handle;
    private SftpOutputStreamAsync out;
    /** Where the next byte goes. */
    private long position;
    /** What was sent since the last durable point, from {@link #heldFrom}. */
    private final ArrayDeque<byte[]> held = new ArrayDeque<>();
    private long heldFrom;
    private long sinceCheckpoint;
    private boolean failedOver;
    private long pauseMillis;

    BridgedUpload(SftpView view, String path, SftpClient channel, SftpClient.CloseableHandle handle, long start,
            EdgeProperties.Failover failover) {
        this.view = view;
        this.path = path;
        this.channel = channel;
        this.handle = handle;
        this.failover = failover;
        this.position = start;
        this.heldFrom = start;
        this.out = stream(start);
    }

    private SftpOutputStreamAsync stream(long at) {
        SftpOutputStreamAsync stream = new SftpOutputStreamAsync((AbstractSftpClient) channel, BUFFER, path, handle,
                false);
        stream.setOffset(at);
        return stream;
    }

    /** The SFTP channel the upload is on now (another after a failover). */
    SftpClient channel() {
        return channel;
    }

    boolean failedOver() {
        return failedOver;
    }

    /** How long the transfer waited for its failovers. */
    long pauseMillis() {
        return pauseMillis;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return;
        }
        byte[] bytes = Arrays.copyOfRange(b, off, off + len);
        held.add(bytes);
        position += len;
        sinceCheckpoint += len;
        try {
            out.write(bytes);
        } catch (IOException e) {
            carryOver(e);
        }
        if (sinceCheckpoint >= failover.checkpointBytes()) {
            checkpoint();
        }
    }

    /** Waits for the node to acknowledge every write, makes it durable, and lets go of what the edge held. */
    private void checkpoint() throws IOException {
        try {
            out.flush();
            channel.getExtension(OpenSSHFsyncExtension.class).fsync(handle);
        } catch (IOException e) {
            carryOver(e);
            return; // the next checkpoint makes it durable on the new node
        }
        held.clear();
        heldFrom = position;
        sinceCheckpoint = 0;
    }

    /** Every write sent and acknowledged; the file is still open. */
    @Override
    public void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            carryOver(e);
            out.flush();
        }
    }

    /**
     * Closes the file on the node, which publishes and logs it; when the node dies meanwhile, the close is done
     * again on the next node, unless the one that died had completed it.
     */
    void complete() throws IOException {
        for (int attempt = 0;; attempt++) {
            try {
                out.flush();
                channel.close(handle);
                return;
            } catch (IOException e) {
                ClientSession dead = ((AbstractSftpClient) channel).getClientSession();
                if (attempt >= 3 || !view.diedUnder(dead, e)) {
                    throw e;
                }
                long started = System.nanoTime();
                view.failover(dead);
                channel = view.transferChannel();
                Long kept = pendingUpload();
                if (kept == null) {
                    long size = view.getFile(path).attributesOrFail() == null ? -1
                            : view.getFile(path).attributesOrFail().getSize();
                    if (UploadResume.completedThere(size, position)) {
                        return;
                    }
                    throw new IOException("the node that died kept no part of the upload", e);
                }
                resume(kept, e);
                pauseMillis += (System.nanoTime() - started) / 1_000_000;
            }
        }
    }

    /** The node's session died under {@code cause}: the upload goes on on the node that takes it, or fails. */
    private void carryOver(IOException cause) throws IOException {
        ClientSession dead = ((AbstractSftpClient) channel).getClientSession();
        if (!view.diedUnder(dead, cause)) {
            throw cause;
        }
        long started = System.nanoTime();
        view.failover(dead);
        channel = view.transferChannel();
        Long kept = pendingUpload();
        if (kept == null) {
            throw new IOException("the node that died kept no part of the upload", cause);
        }
        resume(kept, cause);
        pauseMillis += (System.nanoTime() - started) / 1_000_000;
    }

    /** Opens the upload again from what the node kept and sends again what the edge holds from there. */
    private void resume(long kept, IOException cause) throws IOException {
        String refusal = UploadResume.refusal(kept, heldFrom, position);
        if (refusal != null) {
            throw new IOException(refusal, cause);
        }
        EnumSet<SftpClient.OpenMode> modes = EnumSet.of(SftpClient.OpenMode.Write, SftpClient.OpenMode.Create);
        if (UploadResume.fromNothing(kept)) {
            modes.add(SftpClient.OpenMode.Truncate);
        }
        handle = channel.open(path, modes);
        out = stream(kept);
        long at = heldFrom;
        for (byte[] bytes : held) {
            long end = at + bytes.length;
            if (end > kept) {
                int skip = (int) Math.max(0, kept - at);
                out.write(bytes, skip, bytes.length - skip);
            }
            at = end;
        }
        sinceCheckpoint = position - kept;
        failedOver = true;
    }

    /** What the node can resume the upload from ({@link UploadResume#PENDING_UPLOAD}), or null when it has none. */
    private Long pendingUpload() throws IOException {
        Buffer request = new ByteArrayBuffer();
        request.putString(UploadResume.PENDING_UPLOAD);
        request.putString(path);
        RawSftpClient raw = (RawSftpClient) channel;
        int id = raw.send(SftpConstants.SSH_FXP_EXTENDED, request);
        Buffer reply = raw.receive(id);
        reply.getInt(); // length
        int type = reply.getUByte();
        reply.getInt(); // id
        if (type == SftpConstants.SSH_FXP_EXTENDED_REPLY) {
            return reply.getLong();
        }
        if (type == SftpConstants.SSH_FXP_STATUS && reply.getInt() == SftpConstants.SSH_FX_NO_SUCH_FILE) {
            return null;
        }
        throw new IOException("the node did not say what it kept of the upload");
    }
}
