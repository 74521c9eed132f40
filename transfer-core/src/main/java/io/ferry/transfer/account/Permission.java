package io.ferry.transfer.account;

import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What an account may do in its home. Protocol adapters ask {@link Account#may(Permission)} before they touch the
 * storage, so a refused operation writes nothing.
 */
public enum Permission {
    /** List directory contents. */
    LIST,
    /** Download (read) files. */
    READ,
    /** Upload new files, overwrite or append to files, set file times. */
    WRITE,
    /** Delete files and remove directories. */
    DELETE,
    /** Rename or move files and directories. */
    RENAME,
    /** Create directories. */
    MKDIR;

    public static final Set<Permission> ALL = Set.copyOf(EnumSet.allOf(Permission.class));

    /** The lower-case name used in the REST API and in the database. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Permission parse(String value) {
        if (value == null) {
            throw new IllegalArgumentException("permission must not be null");
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown permission '" + value + "'; known: "
                    + Arrays.stream(values()).map(Permission::key).collect(Collectors.joining(", ")));
        }
    }

    public static Set<Permission> parseAll(Collection<String> values) {
        EnumSet<Permission> set = EnumSet.noneOf(Permission.class);
        for (String value : values) {
            set.add(parse(value));
        }
        return set;
    }
}
