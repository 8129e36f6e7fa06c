# diskquota.pause() survives a restart; quotas survive pg_dump/pg_restore
# into another cluster where the same schemas, roles and tablespaces have
# other OIDs.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $conf = q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'dq'
diskquota.naptime = 1
allow_in_place_tablespaces = on
};

my $a = PostgreSQL::Test::Cluster->new('source');
$a->init;
$a->append_conf('postgresql.conf', $conf);
$a->start;

sub wait_epoch
{
	my ($node) = @_;
	return $node->safe_psql('dq', 'SELECT diskquota.wait_for_worker_new_epoch()');
}

$a->safe_psql('postgres', 'CREATE DATABASE dq');
$a->safe_psql(
	'dq', q{
CREATE ROLE dq_tenant NOLOGIN;
CREATE TABLESPACE dq_space LOCATION '';
CREATE SCHEMA s AUTHORIZATION dq_tenant;
CREATE TABLE s.t(i int);
ALTER TABLE s.t OWNER TO dq_tenant;
CREATE EXTENSION diskquota;
INSERT INTO s.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s', '1 MB');
SELECT diskquota.set_role_quota('dq_tenant', '2 MB');
SELECT diskquota.set_schema_tablespace_quota('s', 'dq_space', '3 MB');
SELECT diskquota.set_role_tablespace_quota('dq_tenant', 'dq_space', '4 MB');
SELECT diskquota.set_database_quota('5 GB');
-- 1.2: a soft limit with its grace period, thresholds, a default quota in
-- a tablespace
SELECT diskquota.set_quota('role', 'dq_tenant', '20 MB', soft => '10%', grace => '1 hour',
                           advisory => '10%, 1 kB');
SELECT diskquota.set_default_quota('schema_tablespace', '7 MB', soft => '6 MB',
                                   tablespace => 'dq_space', enforced => false);
});
wait_epoch($a);
is( $a->safe_psql('dq', "SELECT state FROM diskquota.quotas WHERE target_type = 'role'"),
	'soft', 'the role is in its grace period before the dump');
my $source_since = $a->safe_psql('dq',
	"SELECT over_soft_since FROM diskquota.quotas WHERE target_type = 'role'");

my ($ret, $stdout, $stderr) = $a->psql('dq', 'INSERT INTO s.t VALUES (1)');
like($stderr, qr/schema's disk space quota exceeded with name: s/,
	'over its quota, the schema is refused');

# Paused: allowed, and still after a restart.
$a->safe_psql('dq', 'SELECT diskquota.pause()');
($ret, $stdout, $stderr) = $a->psql('dq', 'INSERT INTO s.t VALUES (1)');
is($ret, 0, 'paused: the insert is allowed');
$a->restart;
wait_epoch($a);
($ret, $stdout, $stderr) = $a->psql('dq', 'INSERT INTO s.t VALUES (1)');
is($ret, 0, 'still paused after a restart');
is($a->safe_psql('dq', 'SELECT count(*) FROM diskquota.rejectmap'),
	'0', 'the reject map is empty while paused');
is( $a->safe_psql(
		'dq',
		"SELECT nspsize_in_bytes = pg_total_relation_size('s.t') FROM diskquota.show_schema_quota_view"
	),
	't',
	'sizes are tracked while paused');
$a->safe_psql('dq', 'SELECT diskquota.resume()');
($ret, $stdout, $stderr) = $a->psql('dq', 'INSERT INTO s.t VALUES (1)');
like($stderr, qr/schema's disk space quota exceeded with name: s/,
	'resumed: refused at once');

# Dump the database, quotas included.
my $dump = $a->basedir . '/dq.dump';
$a->command_ok([ 'pg_dump', '-Fc', '-f', $dump, $a->connstr('dq') ],
	'pg_dump of the database');
my $source_oids = $a->safe_psql('dq',
	"SELECT 's'::regnamespace::oid, 'dq_tenant'::regrole::oid, (SELECT oid FROM pg_tablespace WHERE spcname = 'dq_space')"
);

# Another cluster, where the same names get other OIDs.
my $b = PostgreSQL::Test::Cluster->new('target');
$b->init;
$b->append_conf('postgresql.conf', $conf);
$b->start;
$b->safe_psql(
	'postgres', q{
CREATE ROLE filler1 NOLOGIN; CREATE ROLE filler2 NOLOGIN;
CREATE TABLESPACE filler_space LOCATION '';
CREATE ROLE dq_tenant NOLOGIN;
CREATE TABLESPACE dq_space LOCATION '';
});
$b->safe_psql('postgres', 'CREATE DATABASE dq');
$b->safe_psql('dq', 'CREATE SCHEMA filler; CREATE SCHEMA filler2;');
$b->command_ok([ 'pg_restore', '-d', $b->connstr('dq'), $dump ],
	'pg_restore into the other cluster');
my $target_oids = $b->safe_psql('dq',
	"SELECT 's'::regnamespace::oid, 'dq_tenant'::regrole::oid, (SELECT oid FROM pg_tablespace WHERE spcname = 'dq_space')"
);
my @s = split /\|/, $source_oids;
my @t = split /\|/, $target_oids;
ok($s[0] ne $t[0] && $s[1] ne $t[1] && $s[2] ne $t[2],
	'the schema, the role and the tablespace have other OIDs there');

is( $b->safe_psql(
		'dq', q{
SELECT string_agg(format('%s %s %s %s %s', quota_type, coalesce(schema_id::text, '-'),
                         coalesce(role_id::text, '-'),
                         coalesce((SELECT spcname FROM pg_tablespace t WHERE t.oid = tablespace_oid), '-'),
                         quota_in_bytes), ', ' ORDER BY quota_type)
  FROM diskquota.quota_config}
	),
	'database - - - 5368709120, role - dq_tenant - 20971520, role_tablespace - dq_tenant dq_space 4194304, '
	  . 'schema s - - 1048576, schema_tablespace s - dq_space 3145728',
	'every quota is restored, on the objects of the same names');
is( $b->safe_psql(
		'dq',
		"SELECT count(*) FROM diskquota.quota_config WHERE tablespace_oid IS NOT NULL AND tablespace_oid <> $t[2]"
	),
	'0',
	'tablespace quotas point at the tablespace of that cluster');

is( $b->safe_psql(
		'dq', q{
SELECT format('%s %s %s %s %s', soft_percent, grace, advisory_bytes, advisory_percent, enforced)
  FROM diskquota.quota_config WHERE quota_type = 'role'}),
	'10 01:00:00 {1024} {10} t',
	'the soft limit, grace period and thresholds are restored');
is( $b->safe_psql(
		'dq', qq{
SELECT format('%s %s %s %s %s %s', quota_type, tablespace_name, tablespace_oid = $t[2],
              quota_in_bytes, soft_bytes, enforced)
  FROM diskquota.default_quota}),
	'schema_tablespace dq_space t 7340032 6291456 f',
	'the default quota is restored, on the tablespace of the same name');
wait_epoch($b);
is( $b->safe_psql('dq',
		"SELECT over_soft_since > '$source_since' FROM diskquota.quotas WHERE target_type = 'role'"),
	't', 'running grace periods are not dumped: it starts anew there');

# And they are enforced there (the pause was not dumped).
wait_epoch($b);
($ret, $stdout, $stderr) = $b->psql('dq', 'INSERT INTO s.t VALUES (1)');
like($stderr, qr/schema's disk space quota exceeded with name: s/,
	'the restored schema quota is enforced');
is( $b->safe_psql(
		'dq',
		"SELECT string_agg(schema_name || ' ' || tablespace_name || ' ' || quota_in_mb, ', ') FROM diskquota.show_schema_tablespace_quota_view"
	),
	's dq_space 3',
	'the tablespace quota shows in its view');

# A tablespace quota whose tablespace does not exist where it is restored
# is left out with a WARNING; the other quotas are restored.
$b->safe_psql('postgres', 'CREATE DATABASE dq2');
($ret, $stdout, $stderr) = $b->psql('dq2',
	"CREATE EXTENSION diskquota; COPY diskquota.quota_config (quota_type, schema_id, role_id,"
	  . " quota_in_bytes, tablespace_oid, tablespace_name) FROM stdin;\n"
	  . "schema_tablespace\tpublic\t\\N\t1\t12345\tno_such_space\n"
	  . "schema\tpublic\t\\N\t2\t\\N\t\\N\n\\.\n");
like(
	$stderr,
	qr/WARNING:  diskquota: tablespace "no_such_space" does not exist, its schema_tablespace quota is not restored/,
	'a quota on a missing tablespace is left out, with a warning');
is( $b->safe_psql(
		'dq2', 'SELECT string_agg(quota_type, \',\') FROM diskquota.quota_config'),
	'schema',
	'... and the other quotas are restored');

$a->stop;
$b->stop;
done_testing();
