package io.ferry.transfer.session;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;
import io.ferry.transfer.account.LiveAccount;
import io.ferry.transfer.account.Permission;

/**
 * A partner's operations on names (directories, renames, deletes, listings, file times), for every protocol: the
 * account's permission is checked first, so a refused operation changes nothing, then the storage SPI does it.
 * Paths are those the storage resolved ({@link io.ferry.storage.FileStore#resolve}); {@code clientPath} is the name
 * as the client gave it, for messages and the log.
 */
public final class PartnerFiles {

    private static final Logger log = LoggerFactory.getLogger(PartnerFiles.class);

    private PartnerFiles() {
    }

    /** Refuses an operation the account (as it is now) may not do, before anything on the storage changes. */
    public static void require(LiveAccount account, Permission permission, String clientPath)
            throws AccessDeniedException {
        if (!account.may(permission)) {
            log.info("Refused: no {} permission for {}", permission.key(), LogText.escaped(clientPath));
            throw new AccessDeniedException(clientPath, null, "no " + permission.key() + " permission");
        }
    }

    public static void mkdir(LiveAccount account, Path path, String clientPath) throws IOException {
        require(account, Permission.MKDIR, clientPath);
        account.store().createDirectory(path);
    }

    /** Deletes a file, a pending upload, or a directory holding nothing a client sees. */
    public static void delete(LiveAccount account, Path path, String clientPath) throws IOException {
        require(account, Permission.DELETE, clientPath);
        account.store().delete(path);
    }

    /**
     * Renames; replacing an existing file ({@link StandardCopyOption#REPLACE_EXISTING}: SFTP's posix-rename, or
     * RENAME with overwrite) needs the write permission as well, since it destroys the file it replaces.
     */
    public static void rename(LiveAccount account, Path from, String clientFrom, Path to, String clientTo,
            CopyOption... options) throws IOException {
        require(account, Permission.RENAME, clientFrom);
        if (Arrays.asList(options).contains(StandardCopyOption.REPLACE_EXISTING)
                && Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            require(account, Permission.WRITE, clientTo);
        }
        account.store().rename(from, to, options);
    }

    /** Listing a directory needs the list permission. */
    public static void requireList(LiveAccount account, String clientPath) throws AccessDeniedException {
        require(account, Permission.LIST, clientPath);
    }

    /** Setting a file's times (SFTP SETSTAT, FTP MFMT) needs the write permission. */
    public static void requireTimes(LiveAccount account, String clientPath) throws AccessDeniedException {
        require(account, Permission.WRITE, clientPath);
    }
}
