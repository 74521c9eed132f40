package io.ferry.transfer.account;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

/** Stores a permission set as a comma-separated list of {@link Permission#key()}s. */
@Converter
class PermissionsConverter implements AttributeConverter<Set<Permission>, String> {

    @Override
    public String convertToDatabaseColumn(Set<Permission> permissions) {
        return permissions.stream().sorted().map(Permission::key).collect(Collectors.joining(","));
    }

    @Override
    public Set<Permission> convertToEntityAttribute(String column) {
        EnumSet<Permission> set = EnumSet.noneOf(Permission.class);
        if (column != null) {
            for (String part : column.split(",")) {
                if (!part.isBlank()) {
                    set.add(Permission.parse(part));
                }
            }
        }
        return set;
    }
}
