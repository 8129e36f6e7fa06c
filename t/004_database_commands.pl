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
diskquota.monitor_databases = 'postgres, dq_drop, dq_src, dq_move, dq_busy, dq_owned'
diskquota.naptime = 1
max_worker_processes = 16
allow_in_place_tablespaces = on
max_prepared_transactions = 2
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
INSERT INTO s.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s', '1 MB');
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

# A database owner who is not a superuser cannot stop the worker with a
# command PostgreSQL refuses: the worker keeps its pid and refreshes.
$node->safe_psql('postgres', 'CREATE ROLE dq_dbown LOGIN');
$node->safe_psql('postgres', 'CREATE DATABASE dq_owned OWNER dq_dbown');
$node->safe_psql('dq_owned', 'CREATE EXTENSION diskquota');
ok(wait_running('dq_owned'), 'worker of dq_owned running');

sub undisturbed
{
	my ($pid, $what) = @_;
	my $epoch = $node->safe_psql('postgres',
		"SELECT epoch FROM diskquota.status() WHERE database_name = 'dq_owned'");
	ok( $node->poll_query_until(
			'postgres',
			"SELECT epoch > $epoch + 1 FROM diskquota.status() WHERE database_name = 'dq_owned'"
		),
		"$what: the worker keeps refreshing");
	is( $node->safe_psql(
			'postgres',
			"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'dq_owned'"),
		$pid,
		"$what: the worker was not stopped");
}

$pid = $node->safe_psql('postgres',
	"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'dq_owned'");
my $owned = $node->background_psql('dq_owned');
$owned->query_safe('SELECT 1');
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'DROP DATABASE dq_owned', extra_params => [ '-U', 'dq_dbown' ]);
like($stderr, qr/is being accessed by other users/, 'owner: DROP DATABASE refused while a session is connected');
undisturbed($pid, 'refused DROP DATABASE');
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'DROP DATABASE dq_owned WITH (FORCE)', extra_params => [ '-U', 'dq_dbown' ]);
like($stderr, qr/permission denied to terminate process|must be a superuser to terminate superuser process/,
	'owner: DROP DATABASE WITH (FORCE) refused: a superuser session is connected');
undisturbed($pid, 'refused DROP DATABASE WITH (FORCE)');
$owned->quit;

($ret, $stdout, $stderr) = $node->psql('postgres',
	'ALTER DATABASE dq_owned SET TABLESPACE dq_space',
	extra_params => [ '-U', 'dq_dbown' ]);
like($stderr, qr/permission denied for tablespace dq_space/,
	'owner: ALTER DATABASE SET TABLESPACE refused without CREATE on the tablespace');
undisturbed($pid, 'refused ALTER DATABASE SET TABLESPACE');
($ret, $stdout, $stderr) = $node->psql('postgres',
	'ALTER DATABASE dq_owned SET TABLESPACE dq_nowhere',
	extra_params => [ '-U', 'dq_dbown' ]);
like($stderr, qr/tablespace "dq_nowhere" does not exist/,
	'owner: ALTER DATABASE SET TABLESPACE refused for a missing tablespace');
undisturbed($pid, 'ALTER DATABASE SET TABLESPACE of a missing tablespace');

($ret, $stdout, $stderr) = $node->psql('postgres',
	'CREATE DATABASE dq_copy2 TEMPLATE dq_owned',
	extra_params => [ '-U', 'dq_dbown' ]);
like($stderr, qr/permission denied to create database/,
	'owner without CREATEDB: CREATE DATABASE ... TEMPLATE refused');
undisturbed($pid, 'refused CREATE DATABASE ... TEMPLATE');
$node->safe_psql('postgres', 'ALTER ROLE dq_dbown CREATEDB');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"CREATE DATABASE dq_copy3 TEMPLATE dq_owned LC_COLLATE 'no_such_locale'",
	extra_params => [ '-U', 'dq_dbown' ]);
isnt($ret, 0, 'owner with CREATEDB: CREATE DATABASE ... TEMPLATE with a bad locale refused');
undisturbed($pid, 'CREATE DATABASE ... TEMPLATE with a bad locale');
$node->safe_psql('postgres', 'ALTER ROLE dq_dbown NOCREATEDB');
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CREATE DATABASE dq_src TEMPLATE dq_owned');
like($stderr, qr/database "dq_src" already exists/,
	'CREATE DATABASE ... TEMPLATE of an existing name refused');
undisturbed($pid, 'CREATE DATABASE of an existing name');

# a prepared transaction in the database makes PostgreSQL refuse the drop
$node->safe_psql('dq_owned',
	"BEGIN; CREATE TABLE prepared_t(i int); PREPARE TRANSACTION 'dq_p'");
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'DROP DATABASE dq_owned', extra_params => [ '-U', 'dq_dbown' ]);
like($stderr, qr/1 prepared transaction/,
	'owner: DROP DATABASE refused while a prepared transaction is there');
undisturbed($pid, 'DROP DATABASE with a prepared transaction');
$node->safe_psql('dq_owned', "ROLLBACK PREPARED 'dq_p'");

# A DROP DATABASE that has to wait for the lock on the database waits
# before it holds the worker off (the lock is taken first, then the checks
# are made again): the worker keeps running meanwhile, also when the
# waiting backend is terminated (t/014_database_rename.pl has the attack
# this closes).
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN');
# COMMENT ON DATABASE locks the database: a DROP DATABASE waits for it
$locker->query_safe("COMMENT ON DATABASE dq_owned IS 'locked'");
$pid = $node->safe_psql('postgres',
	"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'dq_owned'");
my $dropper = $node->background_psql('postgres', on_error_stop => 0);
$dropper->query_until(qr/dropping/, "\\echo dropping\nDROP DATABASE dq_owned;\n");
ok( $node->poll_query_until(
		'postgres',
		"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE query LIKE 'DROP DATABASE dq_owned%' AND pid <> pg_backend_pid()"),
	'the DROP DATABASE waits for the lock');
is( $node->safe_psql(
		'postgres',
		"SELECT state || ' ' || worker_pid FROM diskquota.status() WHERE database_name = 'dq_owned'"),
	"running $pid",
	'without holding the worker off');
$node->safe_psql('postgres',
	"SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE query LIKE 'DROP DATABASE dq_owned%' AND pid <> pg_backend_pid()");
$locker->query_safe('ROLLBACK');
$locker->quit;
eval { $dropper->quit; };
is( $node->safe_psql(
		'postgres',
		"SELECT state || ' ' || worker_pid FROM diskquota.status() WHERE database_name = 'dq_owned'"),
	"running $pid",
	'the same worker runs after the waiting backend was terminated');

$node->stop;
done_testing();
