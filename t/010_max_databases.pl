# A database listed in diskquota.monitor_databases beyond
# diskquota.max_databases is said to be so: in status(), at CREATE
# EXTENSION, by wait_for_worker_new_epoch(), and once in the log.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('maxdb');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres, dq_a, dq_b'
diskquota.max_databases = 2
diskquota.naptime = 1
max_worker_processes = 8
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION diskquota');
$node->safe_psql('postgres', 'CREATE DATABASE dq_a');
$node->safe_psql('postgres', 'CREATE DATABASE dq_b');
$node->safe_psql('dq_a', 'CREATE EXTENSION diskquota');
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'running' FROM diskquota.status() WHERE database_name = 'dq_a'"),
	'the second listed database is monitored');

my ($ret, $stdout, $stderr) = $node->psql('dq_b', 'CREATE EXTENSION diskquota');
is($ret, 0, 'CREATE EXTENSION in the third succeeds');
like(
	$stderr,
	qr/WARNING:  diskquota will not enforce quotas in database "dq_b".*\n.*take all places that diskquota.max_databases \(2\) allows/,
	'... with a WARNING saying why');

is( $node->safe_psql(
		'postgres',
		"SELECT state || ' ' || degraded || ' ' || degraded_reason FROM diskquota.status() WHERE database_name = 'dq_b'"
	),
	'too many databases true diskquota.monitor_databases lists more than diskquota.max_databases (2) databases',
	'status() shows the third database and why it is not monitored');

($ret, $stdout, $stderr) =
  $node->psql('dq_b', 'SELECT diskquota.wait_for_worker_new_epoch()');
is($stdout, 'f', 'wait_for_worker_new_epoch() returns false');
like(
	$stderr,
	qr/take all places that diskquota.max_databases \(2\) allows/,
	'... and says why');

# several rounds of the launcher, and reloads: said once
for (1 .. 3)
{
	$node->reload;
	$node->safe_psql('postgres', 'SELECT diskquota.wait_for_worker_new_epoch()');
	$node->safe_psql('dq_a', 'SELECT diskquota.wait_for_worker_new_epoch()');
}
my @said = (slurp_file($node->logfile) =~ /diskquota cannot monitor database "dq_b"/g);
is(scalar(@said), 1, 'the launcher logs it once');

# unlisting another database gives it a slot
$node->safe_psql('postgres',
	"ALTER SYSTEM SET diskquota.monitor_databases = 'postgres, dq_b'");
$node->reload;
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'running' FROM diskquota.status() WHERE database_name = 'dq_b'"),
	'with room, the database is monitored');

$node->stop;
done_testing();
