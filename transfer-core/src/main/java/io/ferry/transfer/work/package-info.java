/**
 * The node's own work, beside the partners' sessions: the work dispatcher (deliveries to partners, pulls from them,
 * copies between accounts, each attempt a transfer-log row), intake (a file Ferry fetched or found, taken into an
 * account as an upload would arrive) and the primary's scheduler (schedules and folder monitors). Every file it
 * moves goes through {@link io.ferry.transfer.session.Transfers}.
 */
package io.ferry.transfer.work;
