package io.ferry.transfer.ftp;

import java.nio.file.AccessDeniedException;

import io.ferry.storage.FileStore;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.LiveAccount;
import io.ferry.transfer.account.Permission;

/** A logged-in FTP user: the Ferry account as it is now ({@link LiveAccount}) and its files. */
final class FtpAccount extends FtpUser {

    private final LiveAccount live;

    FtpAccount(LiveAccount live, int maxLoginsPerAccount) {
        super(live.username(), maxLoginsPerAccount);
        this.live = live;
    }

    FileStore store() {
        return live.store();
    }

    Account current() throws AccessDeniedException {
        return live.current();
    }

    boolean may(Permission permission) {
        return live.may(permission);
    }
}
