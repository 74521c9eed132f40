package io.ferry.transfer.ftp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystem;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

import org.apache.ftpserver.ftplet.FileSystemFactory;
import org.apache.ftpserver.ftplet.FileSystemView;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.FtpFile;

import io.ferry.common.FtpPaths;

/**
 * An FTP session's view of its account's files: FTP paths ({@code /} is the home) are normalised lexically here and
 * then go through the storage SPI's {@link io.ferry.storage.FileStore#resolve(Path)}, which owns the jail, so FTP
 * keeps no storage rules of its own.
 */
final class FerryFileSystemView implements FileSystemView {

    static final FileSystemFactory FACTORY = user -> {
        if (!(user instanceof FtpAccount account)) {
            throw new FtpException("not a Ferry account");
        }
        try {
            return new FerryFileSystemView(account);
        } catch (IOException e) {
            throw new FtpException("cannot open the account's files: " + e.getMessage(), e);
        }
    };

    private final FtpAccount account;
    private final FileSystem fileSystem;
    private String workingDirectory = "/";

    private FerryFileSystemView(FtpAccount account) throws IOException {
        this.account = account;
        this.fileSystem = account.store().openFileSystem();
    }

    FtpAccount account() {
        return account;
    }

    @Override
    public FtpFile getHomeDirectory() {
        return file("/");
    }

    @Override
    public FtpFile getWorkingDirectory() {
        return file(workingDirectory);
    }

    @Override
    public boolean changeWorkingDirectory(String dir) {
        FerryFtpFile target = getFile(dir);
        if (!target.doesExist() || !target.isDirectory()) {
            return false;
        }
        workingDirectory = target.getAbsolutePath();
        return true;
    }

    @Override
    public FerryFtpFile getFile(String name) {
        return file(FtpPaths.absolute(workingDirectory, name == null ? "" : name));
    }

    private FerryFtpFile file(String absolute) {
        Path stored;
        try {
            stored = account.store().resolve(fileSystem.getPath(absolute));
        } catch (IOException | UncheckedIOException | InvalidPathException e) {
            stored = null; // outside the jail or a name reserved for Ferry: refused, and shown as not existing
        }
        return new FerryFtpFile(account, absolute, stored);
    }

    @Override
    public boolean isRandomAccessible() {
        return true;
    }

    @Override
    public void dispose() {
        try {
            fileSystem.close();
        } catch (IOException e) {
            // a view over the account's home; closing touches no file
        }
    }
}
