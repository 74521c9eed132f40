package io.ferry.transfer.ftp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import org.apache.ftpserver.ftplet.FtpFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.storage.FileStore;
import io.ferry.transfer.account.Permission;
import io.ferry.transfer.session.PartnerFiles;

/**
 * One path of an FTP session. Every change checks the account's permission first and then goes through the
 * storage SPI; a path the jail refused ({@code stored == null}) exists for nobody and allows nothing.
 */
final class FerryFtpFile implements FtpFile {

    private static final Logger log = LoggerFactory.getLogger(FerryFtpFile.class);

    private final FtpAccount account;
    private final String absolute;
    private final Path stored;
    private FileStore.Stat attributes;

    FerryFtpFile(FtpAccount account, String absolute, Path stored) {
        this.account = account;
        this.absolute = absolute;
        this.stored = stored;
    }

    Path stored() {
        return stored;
    }

    FileStore store() {
        return account.store();
    }

    FtpAccount account() {
        return account;
    }

    /** An upload in progress under this name (its size is what a resume continues from). */
    boolean isPendingUpload() {
        return stored != null && account.store().isPending(stored);
    }

    /**
     * Read once per file object (FtpServer asks doesExist, isFile, getSize, getLastModified... of every listed entry);
     * forgotten by the operations that change the file.
     */
    private FileStore.Stat attributes() {
        if (stored == null) {
            return null;
        }
        if (attributes == null) {
            try {
                attributes = account.store().stat(stored);
            } catch (IOException e) {
                return null;
            }
        }
        return attributes;
    }

    @Override
    public String getAbsolutePath() {
        return absolute;
    }

    @Override
    public String getName() {
        if (absolute.equals("/")) {
            return "/";
        }
        return absolute.substring(absolute.lastIndexOf('/') + 1);
    }

    @Override
    public boolean isHidden() {
        return false;
    }

    @Override
    public boolean isDirectory() {
        FileStore.Stat attributes = attributes();
        return attributes != null && attributes.directory();
    }

    @Override
    public boolean isFile() {
        FileStore.Stat attributes = attributes();
        return attributes != null && attributes.regularFile();
    }

    @Override
    public boolean doesExist() {
        return attributes() != null;
    }

    /** Listing a directory needs {@code list}; reading a complete file needs {@code read}. */
    @Override
    public boolean isReadable() {
        if (stored == null) {
            return false;
        }
        return isDirectory() ? account.may(Permission.LIST) : account.may(Permission.READ) && !isPendingUpload();
    }

    /** Whether some change may be made here; each operation checks its own permission. */
    @Override
    public boolean isWritable() {
        return stored != null && (account.may(Permission.WRITE) || account.may(Permission.MKDIR)
                || account.may(Permission.RENAME));
    }

    @Override
    public boolean isRemovable() {
        return stored != null && !absolute.equals("/") && account.may(Permission.DELETE);
    }

    @Override
    public String getOwnerName() {
        return account.getName();
    }

    @Override
    public String getGroupName() {
        return account.getName();
    }

    @Override
    public int getLinkCount() {
        return isDirectory() ? 3 : 1;
    }

    @Override
    public long getLastModified() {
        FileStore.Stat attributes = attributes();
        return attributes == null ? 0 : attributes.lastModified().toMillis();
    }

    /** MFMT: partners keep the sender's timestamps; needs {@code write}. */
    @Override
    public boolean setLastModified(long time) {
        if (stored == null || isPendingUpload()) {
            return false;
        }
        try {
            PartnerFiles.requireTimes(account.live(), absolute);
            account.store().setLastModified(stored, FileTime.fromMillis(time));
            attributes = null;
            return true;
        } catch (IOException e) {
            log.info("MFMT {} failed: {}", absolute, e.getMessage());
            return false;
        }
    }

    /** Plaintext size of a file; for a pending upload, the size a resume continues from. */
    @Override
    public long getSize() {
        FileStore.Stat attributes = attributes();
        return attributes == null || !attributes.regularFile() ? 0 : attributes.size();
    }

    @Override
    public Object getPhysicalFile() {
        return null; // nothing outside the storage SPI touches the file
    }

    @Override
    public boolean mkdir() {
        if (stored == null) {
            return false;
        }
        try {
            PartnerFiles.mkdir(account.live(), stored, absolute);
            attributes = null;
            return true;
        } catch (IOException e) {
            log.info("MKD {} failed: {}", absolute, e.getMessage());
            return false;
        }
    }

    @Override
    public boolean delete() {
        if (!isRemovable()) {
            return false;
        }
        try {
            PartnerFiles.delete(account.live(), stored, absolute);
            attributes = null;
            return true;
        } catch (IOException e) {
            log.info("Delete {} failed: {}", absolute, e.getMessage());
            return false;
        }
    }

    @Override
    public boolean move(FtpFile destination) {
        if (stored == null || absolute.equals("/") || !(destination instanceof FerryFtpFile target)
                || target.stored == null) {
            return false;
        }
        try {
            PartnerFiles.rename(account.live(), stored, absolute, target.stored, target.absolute);
            attributes = null;
            target.attributes = null;
            return true;
        } catch (IOException e) {
            log.info("Rename {} to {} failed: {}", absolute, target.absolute, e.getMessage());
            return false;
        }
    }

    @Override
    public List<? extends FtpFile> listFiles() {
        if (stored == null || !isDirectory()) {
            return null;
        }
        List<FtpFile> files = new ArrayList<>();
        String prefix = absolute.equals("/") ? "/" : absolute + "/";
        try {
            PartnerFiles.requireList(account.live(), absolute);
        } catch (IOException e) {
            return null;
        }
        try (DirectoryStream<Path> entries = account.store().list(stored)) {
            for (Path entry : entries) {
                files.add(new FerryFtpFile(account, prefix + entry.getFileName(), entry));
            }
        } catch (IOException e) {
            log.info("Listing {} failed: {}", absolute, e.getMessage());
            return null;
        }
        files.sort((a, b) -> a.getName().compareTo(b.getName()));
        return files;
    }

    /** Not used: Ferry's STOR and APPE open uploads through the storage SPI themselves (FtpTransfers). */
    @Override
    public OutputStream createOutputStream(long offset) throws IOException {
        throw new IOException("uploads go through Ferry's STOR/APPE");
    }

    /** The file's plaintext from {@code offset} (REST). */
    @Override
    public InputStream createInputStream(long offset) throws IOException {
        if (stored == null) {
            throw new NoSuchFileException(absolute);
        }
        PartnerFiles.require(account.live(), Permission.READ, absolute);
        SeekableByteChannel channel = account.store().openRead(stored);
        try {
            channel.position(offset);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return Channels.newInputStream(channel);
    }
}
