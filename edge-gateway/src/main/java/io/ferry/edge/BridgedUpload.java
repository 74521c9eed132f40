package io.ferry.edge;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.EnumSet;

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
    /** Opened afresh (truncated): the node's part holds only what this upload sent, in order. */
    private final boolean fresh;
    private long pauseMillis;

    BridgedUpload(SftpView view, String path, SftpClient channel, SftpClient.CloseableHandle handle, long start,
            boolean fresh, EdgeProperties.Failover failover) {
        this.view = view;
        this.fresh = fresh;
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
                if (attempt >= 3) {
                    throw e;
                }
                long started = System.nanoTime();
                channel = view.channelAfter(channel, e);
                Long there = pendingUpload();
                if (there == null) {
                    // no upload left: the dead node may have completed the close, or not (a file of the same size
                    // proves nothing): the partner is told, and checks
                    throw new IOException("the node that died was completing the upload: it may or may not be "
                            + "published; check the file", e);
                }
                resume(there, e);
                pauseMillis += (System.nanoTime() - started) / 1_000_000;
            }
        }
    }

    /** The node's session died under {@code cause}: the upload goes on on the node that takes it, or fails. */
    private void carryOver(IOException cause) throws IOException {
        long started = System.nanoTime();
        channel = view.channelAfter(channel, cause);
        resume(pendingUpload(), cause);
        pauseMillis += (System.nanoTime() - started) / 1_000_000;
    }

    /**
     * Opens the upload again where the node has it ({@code there}, unchecked; null: none, and then only when the edge
     * holds all of it, from nothing), from what the node keeps of it, and sends again what the edge holds from there.
     */
    private void resume(Long there, IOException cause) throws IOException {
        if (there == null && !UploadResume.fromNothing(heldFrom)) {
            throw new IOException("the node that died kept no part of the upload", cause);
        }
        long from = there == null ? 0 : there;
        EnumSet<SftpClient.OpenMode> modes = EnumSet.of(SftpClient.OpenMode.Write, SftpClient.OpenMode.Create);
        if (UploadResume.fromNothing(from)) {
            modes.add(SftpClient.OpenMode.Truncate);
        }
        handle = channel.open(path, modes);
        // what the node continues from, its last segments checked (the extension's size is not)
        long kept = UploadResume.fromNothing(from) ? 0 : channel.stat(handle).getSize();
        String refusal = UploadResume.refusal(kept, heldFrom, position);
        if (refusal != null) {
            channel.getChannel().close(true); // never closed: a close would publish it
            throw new IOException(refusal, cause);
        }
        // what the node kept is whole only for an upload opened afresh; another is sent again from what the edge
        // holds (UploadResume)
        long resend = fresh ? kept : heldFrom;
        out = stream(resend);
        long at = heldFrom;
        for (byte[] bytes : held) {
            long end = at + bytes.length;
            if (end > resend) {
                int skip = (int) Math.max(0, resend - at);
                out.write(bytes, skip, bytes.length - skip);
            }
            at = end;
        }
        sinceCheckpoint = position - resend;
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
