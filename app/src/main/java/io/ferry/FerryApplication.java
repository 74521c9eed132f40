package io.ferry;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * A Ferry transfer node. Lives in the root package so that the entities, repositories and components of every
 * module ({@code io.ferry.*}) are found; the wiring itself is in {@code io.ferry.app.config}.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class FerryApplication {

    public static void main(String[] args) {
        SpringApplication.run(FerryApplication.class, args);
    }
}
