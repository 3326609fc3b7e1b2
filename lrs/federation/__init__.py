"""Federation (issue 12): forwarding rules per store and the outbox they fill, without Flask."""
