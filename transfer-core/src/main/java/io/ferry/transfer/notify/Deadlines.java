package io.ferry.transfer.notify;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** When an expectation's deadlines fall: pure arithmetic over days, a local time and a time zone. */
final class Deadlines {

    /**
     * One deadline.
     *
     * @param day         the local day it belongs to
     * @param windowStart the start of that day in the zone: what counts must have ended from then on
     * @param dueAt       the deadline
     */
    record Deadline(LocalDate day, Instant windowStart, Instant dueAt) {
    }

    private Deadlines() {
    }

    /**
     * The deadlines after {@code after} up to and including {@code upTo}, oldest first. A local time that a
     * daylight-saving change skips falls later by the gap (02:30 on a spring-forward night is 03:30); one that
     * occurs twice (autumn) is its first occurrence: the earlier deadline, so nothing is judged late twice.
     */
    static List<Deadline> between(LocalTime time, Set<DayOfWeek> days, ZoneId zone, Instant after, Instant upTo) {
        List<Deadline> found = new ArrayList<>();
        if (!upTo.isAfter(after)) {
            return found;
        }
        // a day before and after: the zone's offset may put a deadline on another UTC day than the instants
        LocalDate last = LocalDate.ofInstant(upTo, zone).plusDays(1);
        for (LocalDate day = LocalDate.ofInstant(after, zone).minusDays(1); !day.isAfter(last);
                day = day.plusDays(1)) {
            if (!days.contains(day.getDayOfWeek())) {
                continue;
            }
            Instant due = ZonedDateTime.of(day, time, zone).toInstant();
            if (due.isAfter(after) && !due.isAfter(upTo)) {
                found.add(new Deadline(day, day.atStartOfDay(zone).toInstant(), due));
            }
        }
        return found;
    }
}
