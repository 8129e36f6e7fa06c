# A database owner (with CREATEDB) cannot take a monitored database out of
# diskquota's sight: ALTER DATABASE ... RENAME of a listed database is
# refused to non-superusers, and DROP DATABASE takes the lock on the
# database before it holds the worker off, so that it cannot be left
# waiting for a lock (while a rename queues) with the worker out.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('rename');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres, atk'
diskquota.naptime = 1
});
$node->start;

$node->safe_psql('postgres', q{
CREATE EXTENSION diskquota;
CREATE ROLE dbo LOGIN CREATEDB;
CREATE DATABASE atk OWNER dbo;
});
$node->safe_psql('atk', q{
CREATE EXTENSION diskquota;
CREATE SCHEMA t;
SELECT diskquota.set_schema_quota('t', '1 MB');
});
is($node->safe_psql('atk', 'SELECT diskquota.wait_for_worker_new_epoch()'), 't', 'worker runs');
my $pid = $node->safe_psql('postgres',
	"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'atk'");

# 1. The owner renames the database: refused
my ($ret, $out, $err) = $node->psql('postgres', 'ALTER DATABASE atk RENAME TO atk_r',
	extra_params => [ '-U', 'dbo' ]);
like($err, qr/permission denied to rename database "atk"/, 'rename refused to the owner');
like($err, qr/listed in diskquota.monitor_databases/, 'with the reason');

# 2. The DROP DATABASE hold cannot be kept open behind a lock on the
#    database: the DROP waits for that lock before it stops the worker
my $locker = $node->background_psql('postgres', extra_params => [ '-U', 'dbo' ]);
$locker->query_safe('BEGIN');
$locker->query_safe("COMMENT ON DATABASE atk IS 'x'");
my $dropper = $node->background_psql('postgres', on_error_stop => 0,
	extra_params => [ '-U', 'dbo' ]);
$dropper->query_safe("SET application_name = 'dropper'");
$dropper->query_until(qr/dropping/, q{\echo dropping
DROP DATABASE atk;
});
ok( $node->poll_query_until(
		'postgres',
		"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE application_name = 'dropper'"),
	'DROP DATABASE waits for the lock on the database');
is( $node->safe_psql(
		'postgres', "SELECT state || ' ' || worker_pid FROM diskquota.status() WHERE database_name = 'atk'"),
	"running $pid",
	'the worker was not stopped meanwhile');
$node->safe_psql('postgres',
	"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'dropper'");
$dropper->query('SELECT 1');
like($dropper->{stderr}, qr/canceling statement/, 'the DROP is cancelled');
$dropper->quit;
$locker->query_safe('COMMIT');
$locker->quit;
is( $node->safe_psql(
		'postgres', "SELECT state || ' ' || worker_pid FROM diskquota.status() WHERE database_name = 'atk'"),
	"running $pid",
	'the same worker still runs');

# 3. A DROP DATABASE that is not kept waiting still works
$node->safe_psql('postgres', "DROP DATABASE atk WITH (FORCE)");
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'database does not exist' FROM diskquota.status() WHERE database_name = 'atk'"),
	'a DROP that is not kept waiting still works');

$node->stop;
done_testing();
