# DROP DATABASE, CREATE DATABASE ... TEMPLATE and ALTER DATABASE ... SET
# TABLESPACE of a monitored database work without the DBA removing it from
# diskquota.monitor_databases first: its worker gets out of the way, and
# comes back if the database is still there.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dbcommands');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres, dq_drop, dq_src, dq_move, dq_busy'
diskquota.naptime = 1
max_worker_processes = 16
allow_in_place_tablespaces = on
});
$node->start;

sub state_of
{
	my ($db) = @_;
	return $node->safe_psql('postgres',
		"SELECT coalesce((SELECT state FROM diskquota.status() WHERE database_name = '$db'), '')"
	);
}

sub wait_running
{
	my ($db) = @_;
	return $node->poll_query_until('postgres',
		"SELECT state = 'running' FROM diskquota.status() WHERE database_name = '$db'");
}

$node->safe_psql('postgres', 'CREATE EXTENSION diskquota');
for my $db (qw(dq_drop dq_src dq_move dq_busy))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION diskquota');
	ok(wait_running($db), "worker of $db running");
}

# DROP DATABASE, without FORCE and without a reload first.
my ($ret, $stdout, $stderr) = $node->psql('postgres', 'DROP DATABASE dq_drop');
is($ret, 0, 'DROP DATABASE of a monitored database succeeds') or diag($stderr);
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'database does not exist' FROM diskquota.status() WHERE database_name = 'dq_drop'"
	),
	'the launcher sees the database gone');
# a reload makes the launcher look again: it logs only once
$node->reload;
$node->safe_psql('postgres', 'SELECT diskquota.wait_for_worker_new_epoch()');
$node->reload;
$node->safe_psql('postgres', 'SELECT diskquota.wait_for_worker_new_epoch()');
my $log = slurp_file($node->logfile);
$log = substr($log, index($log, 'statement: DROP DATABASE dq_drop'));
my @said = ($log =~ /database "dq_drop" listed in diskquota.monitor_databases does not exist/g);
is(scalar(@said), 1, 'and says so once after the drop');

# CREATE DATABASE ... TEMPLATE a monitored database.
my $pid = $node->safe_psql('postgres',
	"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'dq_src'");
($ret, $stdout, $stderr) = $node->psql('postgres', 'CREATE DATABASE dq_copy TEMPLATE dq_src');
is($ret, 0, 'CREATE DATABASE ... TEMPLATE of a monitored database succeeds')
  or diag($stderr);
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'running' AND worker_pid <> $pid FROM diskquota.status() WHERE database_name = 'dq_src'"
	),
	'the template database gets a worker again');

# ALTER DATABASE ... SET TABLESPACE.
$node->safe_psql('postgres', "CREATE TABLESPACE dq_space LOCATION ''");
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'ALTER DATABASE dq_move SET TABLESPACE dq_space');
is($ret, 0, 'ALTER DATABASE ... SET TABLESPACE of a monitored database succeeds')
  or diag($stderr);
ok(wait_running('dq_move'), 'the moved database gets a worker again');
$node->safe_psql(
	'dq_move', q{
CREATE SCHEMA s;
CREATE TABLE s.t(i int);
SELECT diskquota.set_schema_quota('s', '1 MB');
INSERT INTO s.t SELECT generate_series(1, 100000);
});
$node->safe_psql('dq_move', 'SELECT diskquota.wait_for_worker_new_epoch()');
($ret, $stdout, $stderr) = $node->psql('dq_move', 'INSERT INTO s.t VALUES (1)');
like($stderr, qr/schema's disk space quota exceeded with name: s/,
	'and enforces there');

# A DROP DATABASE that fails (another session is connected) leaves the
# worker running again.
my $busy = $node->background_psql('dq_busy');
$busy->query_safe('SELECT 1');
($ret, $stdout, $stderr) = $node->psql('postgres', 'DROP DATABASE dq_busy');
like($stderr, qr/is being accessed by other users/, 'DROP DATABASE refused while a session is connected');
$busy->quit;
ok(wait_running('dq_busy'), 'the worker of the database that was not dropped comes back');

# Someone who may not drop the database cannot stop its worker by trying.
$pid = $node->safe_psql('postgres',
	"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'dq_busy'");
$node->safe_psql('postgres', 'CREATE ROLE dq_nobody LOGIN');
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'DROP DATABASE dq_busy', extra_params => [ '-U', 'dq_nobody' ]);
like($stderr, qr/must be owner of database dq_busy/, 'a non-owner cannot drop it');
is( $node->safe_psql(
		'postgres',
		"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'dq_busy'"),
	$pid,
	'and its worker was not disturbed');

$node->stop;
done_testing();
