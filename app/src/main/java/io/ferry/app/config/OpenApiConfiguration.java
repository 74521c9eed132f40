package io.ferry.app.config;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;

/**
 * The OpenAPI description of {@code /api/v1} (springdoc: {@code /v3/api-docs}, browsable at {@code /swagger-ui}),
 * with HTTP Basic as its one security scheme. docs/api.md stays the reference with the rules behind each call.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI ferryOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Ferry REST API").version("v1")
                        .description("Accounts, keys, partners, routes, schedules, folder monitors, work items, the "
                                + "transfer log, the cluster, edges, the defender, administrators and the audit log. "
                                + "GET needs the admin or operator role, every change the admin role.")
                        .license(new License().name("Apache-2.0")))
                .components(new Components().addSecuritySchemes("basic",
                        new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("basic")))
                .addSecurityItem(new SecurityRequirement().addList("basic"));
    }
}
