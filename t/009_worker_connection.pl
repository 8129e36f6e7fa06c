# The worker's connection cannot be steered by the database's owner: the
# per-database settings an owner may set (ALTER DATABASE ... SET) are
# ignored by the worker, which keeps refreshing and enforcing, and
# ALLOW_CONNECTIONS false does not keep it out.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('connection');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres, dq_conn'
diskquota.naptime = 1
max_worker_processes = 16
});
$node->start;

# what a superuser's own session sets first, since the database's settings
# apply to it as well
my $su = 'SET SESSION AUTHORIZATION DEFAULT; SET ROLE NONE; SET statement_timeout = 0; SET lock_timeout = 0; '
  . 'SET default_transaction_read_only = off; SET search_path = pg_catalog; '
  . "SET default_transaction_isolation = 'read committed'; SET exit_on_error = off; ";

sub worker_pid
{
	return $node->safe_psql('postgres',
		"SELECT coalesce((SELECT worker_pid FROM diskquota.status() WHERE database_name = 'dq_conn' AND state = 'running'), 0)"
	);
}

sub epoch
{
	return $node->safe_psql('postgres',
		"SELECT epoch FROM diskquota.status() WHERE database_name = 'dq_conn'");
}

# restart the worker; returns whether a new one runs and refreshes
sub restart_worker
{
	my $old = worker_pid();
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($old, 10000)");
	return 0
	  unless $node->poll_query_until('postgres',
		"SELECT worker_pid <> $old AND state = 'running' FROM diskquota.status() WHERE database_name = 'dq_conn'"
	  );
	my $e = epoch();
	return $node->poll_query_until('postgres',
		"SELECT epoch > $e + 2 FROM diskquota.status() WHERE database_name = 'dq_conn'");
}

$node->safe_psql('postgres', 'CREATE EXTENSION diskquota');
$node->safe_psql('postgres', 'CREATE ROLE dq_owner LOGIN');
$node->safe_psql('postgres', 'CREATE DATABASE dq_conn OWNER dq_owner');
$node->safe_psql('dq_conn', 'CREATE EXTENSION diskquota');
$node->safe_psql('dq_conn',
	'CREATE SCHEMA s; CREATE TABLE s.t AS SELECT generate_series(1, 100000) AS i');
ok( $node->poll_query_until('postgres',
		"SELECT state = 'running' FROM diskquota.status() WHERE database_name = 'dq_conn'"),
	'worker of dq_conn running');

# The owner (not a superuser) sets everything that could change who the
# worker is, what its SQL resolves, or fail or freeze its refresh.
my @settings = (
	"session_authorization = 'dq_owner'",
	"role = 'dq_owner'",
	'search_path = public, pg_catalog',
	'statement_timeout = 1',
	'lock_timeout = 1',
	'idle_in_transaction_session_timeout = 1',
	'default_transaction_read_only = on',
	'default_transaction_isolation = serializable',
	'default_transaction_deferrable = on',
	'exit_on_error = on',
	'temp_buffers = 100',
	"default_tablespace = 'nonexistent'",
	'standard_conforming_strings = off',
	'transform_null_equals = on',
	'max_parallel_workers_per_gather = 8',
	'jit_above_cost = 0');
for my $s (@settings)
{
	my ($ret, $stdout, $stderr) =
	  $node->psql('postgres', "ALTER DATABASE dq_conn SET $s",
		extra_params => [ '-U', 'dq_owner' ]);
	is($ret, 0, "the owner may set $s") or diag($stderr);
}
# session_replication_role needs a superuser, as ALTER ROLE of the worker's
# role does: the owner cannot set them
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	'ALTER DATABASE dq_conn SET session_replication_role = replica',
	extra_params => [ '-U', 'dq_owner' ]);
isnt($ret, 0, 'the owner may not set session_replication_role');

# The test's own sessions start without the settings that could fail them
# before $su resets the rest: on a loaded machine a 1 ms statement_timeout
# can expire during $su itself.  Client options outrank the database's.
$ENV{PGOPTIONS} =
  '-c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0 -c exit_on_error=off';


ok(restart_worker(), 'with those settings the worker starts and refreshes');
# (pg_stat_activity still names the role of session_authorization, which
# the worker applied while it connected and then reset: that it reads and
# tidies quota_config, which only a superuser may, shows who it is)

# a load over quota is still refused, and one under quota still works
$node->safe_psql('dq_conn', $su . "SELECT diskquota.set_schema_quota('s', '1 MB')");
$node->safe_psql('dq_conn', $su . 'SELECT diskquota.wait_for_worker_new_epoch()');
($ret, $stdout, $stderr) = $node->psql('dq_conn', $su . 'INSERT INTO s.t VALUES (1)');
like(
	$stderr,
	qr/schema's disk space quota exceeded with name: s/,
	'a load over quota is refused');
# the worker tidies quota_config (it is not read-only): a dropped schema's
# quota goes
$node->safe_psql('dq_conn',
	$su . "CREATE SCHEMA s_gone; SELECT diskquota.set_schema_quota('s_gone', '1 MB')");
$node->safe_psql('dq_conn', $su . 'DROP SCHEMA s_gone');
$node->safe_psql('dq_conn', $su . 'SELECT diskquota.wait_for_worker_new_epoch()');
$node->safe_psql('dq_conn', $su . 'SELECT diskquota.wait_for_worker_new_epoch()');
is( $node->safe_psql('dq_conn', $su . 'SELECT count(*) FROM diskquota.quota_config'),
	'1', 'the worker removes the quota of a dropped schema');

# ALLOW_CONNECTIONS false, set by the owner from another database, does not
# keep the worker out after it restarts.
my $session = $node->background_psql('dq_conn', on_error_stop => 0);
$session->query_safe($su);
$node->safe_psql('postgres', 'ALTER DATABASE dq_conn ALLOW_CONNECTIONS false',
	extra_params => [ '-U', 'dq_owner' ]);
ok(restart_worker(), 'with ALLOW_CONNECTIONS false the worker connects and refreshes');
# a session connected before still has its loads refused
$stdout = $session->query('INSERT INTO s.t VALUES (1)');
like(
	$session->{stderr},
	qr/schema's disk space quota exceeded with name: s/,
	'a load over quota in a session connected before is refused');
$session->quit;

my $log = slurp_file($node->logfile);
unlike($log, qr/canceling statement due to statement timeout|permission denied for table quota_config|diskquota worker cannot run/,
	'the worker never hit the statement timeout or a missing privilege');

$node->stop;
done_testing();
