package io.ferry.transfer.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class DeadlinesTest {

    private static final Set<DayOfWeek> WEEKDAYS = EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY);
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static List<Instant> due(String time, Set<DayOfWeek> days, ZoneId zone, String after, String upTo) {
        return Deadlines.between(LocalTime.parse(time), days, zone, Instant.parse(after), Instant.parse(upTo))
                .stream().map(Deadlines.Deadline::dueAt).toList();
    }

    @Test
    void weekdayDeadlinesShouldSkipTheWeekend() {
        // Friday 2026-12-04 to Tuesday 2026-12-08, 09:30 UTC
        assertThat(due("09:30", WEEKDAYS, ZoneOffset.UTC, "2026-12-04T00:00:00Z", "2026-12-08T12:00:00Z"))
                .containsExactly(Instant.parse("2026-12-04T09:30:00Z"), Instant.parse("2026-12-07T09:30:00Z"),
                        Instant.parse("2026-12-08T09:30:00Z"));
    }

    @Test
    void theBoundsShouldExcludeTheStartAndIncludeTheEnd() {
        assertThat(due("09:30", WEEKDAYS, ZoneOffset.UTC, "2026-12-07T09:30:00Z", "2026-12-08T09:30:00Z"))
                .containsExactly(Instant.parse("2026-12-08T09:30:00Z"));
        assertThat(due("09:30", WEEKDAYS, ZoneOffset.UTC, "2026-12-07T09:31:00Z", "2026-12-07T09:29:00Z")).isEmpty();
    }

    @Test
    void theDayShouldBeTheZonesDay() {
        // 01:00 on Monday in Tokyo is 16:00 on Sunday in UTC: Monday only means that Sunday evening (UTC)
        Deadlines.Deadline deadline = Deadlines.between(LocalTime.of(1, 0), EnumSet.of(DayOfWeek.MONDAY),
                ZoneId.of("Asia/Tokyo"), Instant.parse("2026-12-05T00:00:00Z"), Instant.parse("2026-12-08T00:00:00Z"))
                .get(0);
        assertThat(deadline.dueAt()).isEqualTo(Instant.parse("2026-12-06T16:00:00Z"));
        assertThat(deadline.day()).isEqualTo(LocalDate.of(2026, 12, 7));
        assertThat(deadline.windowStart()).isEqualTo(Instant.parse("2026-12-06T15:00:00Z"));
    }

    @Test
    void aTimeTheSpringChangeSkipsShouldFallLaterByTheGap() {
        // Berlin skips 02:00-03:00 on Sunday 2026-03-29: 02:30 is 03:30 CEST, 01:30 UTC
        assertThat(due("02:30", EnumSet.of(DayOfWeek.SUNDAY), BERLIN, "2026-03-28T00:00:00Z",
                "2026-03-30T00:00:00Z")).containsExactly(Instant.parse("2026-03-29T01:30:00Z"));
    }

    @Test
    void aTimeTheAutumnChangeRepeatsShouldBeItsFirstOccurrenceOnce() {
        // Berlin has 02:00-03:00 twice on Sunday 2026-10-25: 02:30 CEST (00:30 UTC) comes first
        assertThat(due("02:30", EnumSet.of(DayOfWeek.SUNDAY), BERLIN, "2026-10-24T00:00:00Z",
                "2026-10-26T00:00:00Z")).containsExactly(Instant.parse("2026-10-25T00:30:00Z"));
    }

    @Test
    void theWindowShouldStartAtMidnightInTheZoneAcrossAChange() {
        // the day of the spring change is 23 hours long: it starts at 00:00 CET (23:00 UTC the day before)
        Deadlines.Deadline deadline = Deadlines.between(LocalTime.of(18, 0), EnumSet.of(DayOfWeek.SUNDAY), BERLIN,
                Instant.parse("2026-03-28T00:00:00Z"), Instant.parse("2026-03-30T00:00:00Z")).get(0);
        assertThat(deadline.windowStart()).isEqualTo(Instant.parse("2026-03-28T23:00:00Z"));
        assertThat(deadline.dueAt()).isEqualTo(Instant.parse("2026-03-29T16:00:00Z"));
    }
}
