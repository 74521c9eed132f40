package io.ferry.app.web;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import org.springframework.stereotype.Component;

/** How the console writes sizes and times ({@code ${@fmt.bytes(n)}} in the templates); times are UTC. */
@Component("fmt")
public class Formats {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneOffset.UTC);
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    public String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, value < 10 ? "%.2f %s" : value < 100 ? "%.1f %s" : "%.0f %s", value,
                UNITS[unit]);
    }

    /** A quota: 0 is none. */
    public String quota(long bytes) {
        return bytes <= 0 ? "unlimited" : bytes(bytes);
    }

    public String time(Instant time) {
        return time == null ? "" : TIME.format(time);
    }

    public String time(LocalDateTime time) {
        return time == null ? "" : TIME.format(time.toInstant(ZoneOffset.UTC));
    }

    /** A duration as people write it: 90s, 5m, 1h 30m. */
    public String duration(java.time.Duration d) {
        if (d == null) {
            return "";
        }
        long s = d.toSeconds();
        if (s < 60 || s % 60 != 0) {
            return s + "s";
        }
        long m = s / 60;
        return m < 60 ? m + "m" : m / 60 + "h" + (m % 60 == 0 ? "" : " " + m % 60 + "m");
    }

    public String lower(Enum<?> value) {
        return value == null ? "" : value.name().toLowerCase(Locale.ROOT);
    }
}
