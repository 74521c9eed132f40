package io.ferry.transfer.ftp;

import io.ferry.storage.FileStore;
import io.ferry.transfer.account.LiveAccount;
import io.ferry.transfer.account.Permission;

/** A logged-in FTP user: the Ferry account as it is now ({@link LiveAccount}) and its files. */
final class FtpAccount extends FtpUser {

    private final LiveAccount live;

    FtpAccount(LiveAccount live, int maxLoginsPerAccount) {
        super(live.username(), maxLoginsPerAccount);
        this.live = live;
    }

    /** The account and its files as every protocol sees them. */
    LiveAccount live() {
        return live;
    }

    FileStore store() {
        return live.store();
    }

    boolean may(Permission permission) {
        return live.may(permission);
    }
}
