package io.ferry.app.config;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mail.javamail.JavaMailSender;

import io.ferry.cluster.ClusterNode;
import io.ferry.cluster.PrimaryElection;
import io.ferry.transfer.node.RuntimeSettings;
import io.ferry.transfer.notify.ExpectationWatch;
import io.ferry.transfer.notify.Expectations;
import io.ferry.transfer.notify.Notifications;
import io.ferry.transfer.notify.Reminder;
import io.ferry.transfer.notify.Webhook;
import io.ferry.transfer.route.WorkQueue;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Notifications (mail and the webhook) and the expected files they report on. Spring Boot makes the
 * {@link JavaMailSender} only when {@code spring.mail.host} is set; without it nothing is mailed.
 */
@Configuration(proxyBeanMethods = false)
class NotificationConfiguration {

    /** The one poster of JSON events to {@code cluster.webhook-url}: cluster events and notifications. */
    @Bean
    Webhook webhook(RuntimeSettings settings) {
        return new Webhook(settings);
    }

    @Bean
    Notifications notifications(JdbcTemplate jdbc, MeterRegistry meters, Webhook webhook,
            ObjectProvider<JavaMailSender> mail, ClusterNode node, NotifyProperties properties) {
        return new Notifications(jdbc, meters, webhook, mail.getIfAvailable(), node.nodeId(),
                new Notifications.Options(properties.mailFrom(), properties.repeatAfter(),
                        properties.mailsPerHour(), properties.keepEvents(), properties.maxEvents()));
    }

    /** A work item that failed its last attempt is a {@code work-failed} notification. */
    @Bean
    WorkQueue.Listener workFailedNotification(Notifications notifications) {
        return notifications.workListener();
    }

    @Bean
    Expectations expectations(JdbcTemplate jdbc, Notifications notifications, MeterRegistry meters) {
        return new Expectations(jdbc, notifications, meters);
    }

    /** The expectations' deadlines, the reminders (keys near expiry) and the events' purge: on the primary only. */
    @Bean
    ExpectationWatch expectationWatch(Expectations expectations, Notifications notifications,
            PrimaryElection election, NotifyProperties properties, ObjectProvider<Reminder> reminders) {
        return new ExpectationWatch(expectations, notifications, election, properties.checkInterval(),
                reminders.orderedStream().toList());
    }
}
