/**
 * The protocol-neutral side of a partner's session: one way to open, count, hash, complete or abandon a transfer
 * and log it ({@link io.ferry.transfer.session.Transfers}, {@link io.ferry.transfer.session.Transfer}), and one
 * classification of what went wrong ({@link io.ferry.transfer.session.TransferFailure}) that each protocol maps to
 * its own reply. SFTP, FTPS, intake and delivery all go through it, so a rule about a transfer lives here once.
 */
package io.ferry.transfer.session;
