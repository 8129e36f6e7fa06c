# The event log's readers when diskquota is not in shared_preload_libraries
# (its library then loads only when one of its functions is called): the
# setting diskquota.event_readers is then a placeholder that anyone may SET,
# and must not let a tenant who names himself read every event.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('unloaded');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION diskquota;
INSERT INTO diskquota.events (at, event, target_name)
    VALUES (now(), 'hard_limit_reached', 'secret');
CREATE ROLE tenant;
GRANT USAGE ON SCHEMA diskquota TO tenant;
});
is( $node->safe_psql(
		'postgres', q{
SET ROLE tenant;
SET diskquota.event_readers = 'tenant';
SELECT count(*) FROM diskquota.events;
}),
	'0',
	'a tenant setting the placeholder diskquota.event_readers reads no event');
is($node->safe_psql('postgres', 'SELECT count(*) FROM diskquota.events'),
	'1', 'a superuser reads the event');

$node->stop;
done_testing();
