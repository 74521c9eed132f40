package io.ferry.transfer.log;

/** Seen from Ferry: an upload is a partner sending a file to us. */
public enum Direction {
    UPLOAD, DOWNLOAD,
    /** Ferry sending a file to a partner (a route's delivery). */
    OUTBOUND,
    /** A file Ferry took in on its own: fetched from a partner by a pull, or taken from a monitored folder. */
    INBOUND
}
