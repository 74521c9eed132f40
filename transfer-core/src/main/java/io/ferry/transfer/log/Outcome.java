package io.ferry.transfer.log;

/** How a transfer ended. */
public enum Outcome {
    /** All bytes were moved; for an upload, they are on stable storage. */
    SUCCESS,
    /** The transfer stopped early: a dropped connection, a refused or failed write, a storage error. */
    FAILED
}
