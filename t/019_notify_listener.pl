# tools/diskquota-notify against a real cluster: events reach its
# providers (stdout, a command, a webhook) in id order; events logged while
# it is stopped are delivered once when it starts again, and an event whose
# transaction commits after later ones once, late; a webhook answering 500
# is retried without losing the event or sending it twice to the other
# providers; with diskquota.notify_payload = id it works the same; SIGTERM
# stops it with status 0; a role that may not read the event log is told so.
use strict;
use warnings;

use Cwd;
use IPC::Run;
use JSON::PP;
use Time::HiRes qw(usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = getcwd();
my $tool = "$root/tools/diskquota-notify";
my $sink = "$root/t/helpers/webhook_sink.py";
system('python3', '-c', 'import psycopg') == 0
  or die "python3 with psycopg 3 is needed (scripts/setup.sh installs python3-psycopg)";

my $node = PostgreSQL::Test::Cluster->new('notify_listener');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres'
# refreshes only when a test asks for one, or at start
diskquota.naptime = 3600
diskquota.event_readers = 'dq_readers'
# whole events in the payload first; id later
diskquota.notify_payload = full
autovacuum = off
});
$node->start;

# The listener connects as a member of diskquota.event_readers, not as a
# superuser; it may read diskquota.quotas, for the hard limit of events of
# other thresholds.
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION diskquota;
CREATE ROLE dq_readers NOLOGIN;
CREATE ROLE dq_notify LOGIN IN ROLE dq_readers;
CREATE ROLE dq_nobody LOGIN;
GRANT USAGE ON SCHEMA diskquota TO dq_notify, dq_nobody;
GRANT SELECT ON diskquota.quotas TO dq_notify;
GRANT EXECUTE ON FUNCTION diskquota.quota_policies() TO dq_notify;
CREATE SCHEMA s;
CREATE TABLE s.t(i int);
SELECT diskquota.wait_for_worker_new_epoch();
});

my $dir = PostgreSQL::Test::Utils::tempdir();
my $state = "$dir/state.json";
my $stdout_file = "$dir/stdout.jsonl";
my $command_file = "$dir/command.jsonl";
my $log_file = "$dir/listener.log";

sub epoch
{
	$node->safe_psql('postgres', 'SELECT diskquota.wait_for_worker_new_epoch()');
}

sub sql
{
	$node->safe_psql('postgres', shift);
}

# A webhook receiver; returns its harness, its URL and its files.
sub start_sink
{
	my ($name, $fail_first) = @_;
	my %s = (
		out => "$dir/$name.jsonl",
		requests => "$dir/$name.requests",
		port_file => "$dir/$name.port");
	$s{harness} = IPC::Run::start(
		[
			'python3', $sink, '--out', $s{out}, '--requests', $s{requests},
			'--port-file', $s{port_file}, '--fail-first', $fail_first
		],
		'>', "$dir/$name.stdout", '2>', "$dir/$name.stderr");
	poll_until(sub { -s $s{port_file} }, "webhook receiver $name listening");
	$s{url} = 'http://127.0.0.1:' . slurp_file($s{port_file});
	$s{url} =~ s/\s+$//;
	return \%s;
}

sub write_config
{
	my ($file, $url, $user) = @_;
	my $dsn = $node->connstr('postgres') . " user=$user";
	open my $fh, '>', $file or die "$file: $!";
	print $fh <<"EOF";
[listener]
retry_initial = 0.2
retry_max = 2
# deliveries come from notifications and (re)connects only
poll_interval = 3600

[[database]]
dsn = "$dsn"
start = "beginning"

[[provider]]
type = "stdout"

[[provider]]
type = "command"
argv = ["sh", "-c", "cat >> \\"\$0\\"", "$command_file"]
timeout = 20

[[provider]]
type = "webhook"
url = "$url"
timeout = 5

[templates]
worker_started = "{db}: worker up ({event}, id {id})"
EOF
	close $fh;
}

sub poll_until
{
	my ($cond, $what) = @_;
	for (my $i = 0; $i < 10 * $PostgreSQL::Test::Utils::timeout_default; $i++)
	{
		return 1 if $cond->();
		usleep(100_000);
	}
	die "timed out waiting for: $what";
}

# The events of a JSON-lines file, in the order they came.
sub events_in
{
	my $file = shift;
	return () unless -e $file;
	return map { decode_json($_) } grep { /\S/ } split /\n/, slurp_file($file);
}

sub ids_in
{
	return join ',', map { $_->{id} } events_in(shift);
}

# The ids of the event log, in id order.
sub table_ids
{
	return sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM diskquota.events");
}

sub all_delivered
{
	my ($want, @files) = @_;
	for my $f (@files)
	{
		return 0 unless ids_in($f) eq $want;
	}
	return 1;
}

# Each id of a list once?
sub each_once
{
	my %n;
	$n{$_}++ for split /,/, shift;
	return !grep { $_ != 1 } values %n;
}

sub sorted_ids
{
	return join ',', sort { $a <=> $b } split /,/, shift;
}

sub start_listener
{
	my $config = shift;
	my $timer = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
	my $h = IPC::Run::start([ 'python3', $tool, '--config', $config, '--state', $state, '-v' ],
		'>>', $stdout_file, '2>>', $log_file, $timer);
	return { h => $h, timer => $timer };
}

# SIGTERM: it must be gone within a few seconds, with status 0
sub stop_listener
{
	my ($l, $what) = @_;
	$l->{timer}->start(15);
	$l->{h}->signal('TERM');
	ok(eval { $l->{h}->finish; 1 }, "the listener stops on SIGTERM ($what)");
	is($l->{h}->full_result(0), 0, "it exits with status 0 ($what)");
}

sub run_once
{
	my $config = shift;
	return IPC::Run::run([ 'python3', $tool, '--config', $config, '--state', $state, '--once' ],
		'>>', $stdout_file, '2>>', $log_file);
}

# --- A running listener: events in order, to each provider --------------
my $sink1 = start_sink('hook1', 0);
my $config1 = "$dir/notify1.toml";
write_config($config1, $sink1->{url}, 'dq_notify');
my $listener = start_listener($config1);
poll_until(sub { all_delivered(table_ids(), $stdout_file) }, 'worker_started delivered');

sql(q{SELECT diskquota.set_quota('schema', 's', '6 MB', soft => '1536 kB',
        grace => '1 hour', advisory => '512 kB')});
epoch();
sql('INSERT INTO s.t SELECT generate_series(1, 20000)');
epoch();
sql('INSERT INTO s.t SELECT generate_series(1, 30000)');
epoch();
sql('SELECT diskquota.pause()');
sql('SELECT diskquota.resume()');
# a quota request, denied (the quota stays as it is)
my $request = sql(q{SELECT diskquota.request_quota('schema', 's', '8 MB', 'more rows')});
sql("SELECT diskquota.deny_request($request, 'clean up first')");

my $ids = table_ids();
poll_until(sub { all_delivered($ids, $stdout_file, $command_file, $sink1->{out}) },
	'the first events delivered to every provider');
is( join(',', map { $_->{event} } events_in($stdout_file)),
	'worker_started,advisory_exceeded,soft_exceeded,grace_expiring,paused,resumed,'
	  . 'quota_requested,request_denied',
	'stdout: each event once, in id order');
is(ids_in($command_file), $ids, 'command: the same events, in id order');
is(ids_in($sink1->{out}), $ids, 'webhook: the same events, in id order');
like(slurp_file($sink1->{requests}), qr/^200 application\/json$/m,
	'the webhook is a POST of application/json');

my ($started) = grep { $_->{event} eq 'worker_started' } events_in($stdout_file);
is($started->{message}, 'postgres: worker up (worker_started, id 1)', 'a template of the configuration');
my ($adv) = grep { $_->{event} eq 'advisory_exceeded' } events_in($command_file);
is($adv->{db}, 'postgres', 'db');
is($adv->{target_name}, 's', 'target_name');
is($adv->{threshold}, 'advisory', 'threshold');
is($adv->{limit_bytes}, 524288, 'limit_bytes');
is($adv->{hard_limit_bytes}, 6291456, 'hard_limit_bytes, from diskquota.quotas');
is($adv->{left_bytes}, 6291456 - $adv->{used_bytes}, 'left_bytes: the hard limit minus usage');
like($adv->{message}, qr/^postgres: schema "s" passed its advisory threshold of 512 kB: \d+ kB used, \d+ kB left before the hard limit$/,
	'the default text of advisory_exceeded');
my ($asked) = grep { $_->{event} eq 'quota_requested' } events_in($stdout_file);
like($asked->{message},
	qr/^postgres: \w+ asks for a hard limit of 8192 kB for schema "s" \(now 6144 kB, \d+ kB used\), request $request: more rows$/,
	'the default text of quota_requested');
my ($denied) = grep { $_->{event} eq 'request_denied' } events_in($command_file);
like($denied->{message},
	qr/^postgres: \w+ denied request $request of \w+ for 8192 kB for schema "s": clean up first$/,
	'the default text of request_denied');

stop_listener($listener, 'idle');

# --- Stopped: events logged meanwhile are delivered once at the next start
my $before = table_ids();
sql(q{SELECT diskquota.set_quota('schema', 's', '1 MB')});
epoch();
sql('TRUNCATE s.t');
epoch();
sql(q{SELECT diskquota.set_quota('schema', 's', '6 MB', advisory => '512 kB')});
epoch();
sql('SELECT diskquota.pause()');
sql('SELECT diskquota.resume()');
# an event whose transaction commits after a later event's
my $held = $node->background_psql('postgres');
$held->query_safe('BEGIN');
$held->query_safe('SELECT diskquota.pause()');
sql('INSERT INTO s.t SELECT generate_series(1, 20000)');
epoch();
my $missed = table_ids();
isnt($missed, $before, 'events were logged while the listener was stopped');
like(sql("SELECT string_agg(event, ',' ORDER BY id) FROM diskquota.events WHERE id > "
	  . (split /,/, $before)[-1]),
	qr/^hard_exceeded,.*hard_cleared,paused,resumed,advisory_exceeded$/,
	'the missed events');

ok(run_once($config1), 'a --once run catches up');
is(ids_in($stdout_file), $missed, 'stdout: each missed event once, in id order');
is(ids_in($command_file), $missed, 'command: each missed event once, in id order');
is(ids_in($sink1->{out}), $missed, 'webhook: each missed event once, in id order');

$held->query_safe('COMMIT');
$held->quit;
sql('SELECT diskquota.resume()');
my $late = sql("SELECT id FROM diskquota.events WHERE event = 'paused' ORDER BY id DESC LIMIT 1");
ok($late < (split /,/, $missed)[-1], 'the held pause has an id below the last delivered');
ok(run_once($config1), 'another --once run');
my $all = table_ids();
for my $f ($stdout_file, $command_file, $sink1->{out})
{
	my $got = ids_in($f);
	ok(each_once($got) && sorted_ids($got) eq $all, "$f: every event once");
	like($got, qr/,$late,\d+$/, "$f: the late event after the later ones");
}
my %so_far = map { $_ => ids_in($_) } ($stdout_file, $command_file, $sink1->{out});
ok(run_once($config1), 'a third --once run');
is_deeply({ map { $_ => ids_in($_) } keys %so_far }, \%so_far, 'it delivers nothing more');
my $seen_max = (split /,/, table_ids())[-1];

# --- A webhook failing twice: retried, delivered once, nothing lost -----
my $sink2 = start_sink('hook2', 2);
my $config2 = "$dir/notify2.toml";
write_config($config2, $sink2->{url}, 'dq_notify');
$listener = start_listener($config2);
sql('SELECT diskquota.pause()');
sql('SELECT diskquota.resume()');
$all = table_ids();
my $new = sql(
	"SELECT string_agg(id::text, ',' ORDER BY id) FROM diskquota.events WHERE id > $seen_max");
poll_until(sub { ids_in($sink2->{out}) eq $new }, 'the events reach the failing webhook');
is(join(',', map { (split / /)[0] } split /\n/, slurp_file($sink2->{requests})),
	'500,500,' . join(',', map { '200' } split /,/, $new),
	'two requests answered 500, then each event posted once');
like(slurp_file($log_file), qr/provider webhook failed on event \d+, attempt 2 .*retrying in/,
	'the failures are logged, with the retry');
poll_until(sub { sorted_ids(ids_in($command_file)) eq $all }, 'the command has them');
for my $f ($stdout_file, $command_file)
{
	my $got = ids_in($f);
	ok(each_once($got) && sorted_ids($got) eq $all, "$f: every event once while the webhook failed");
}

# --- diskquota.notify_payload = id: the same --------------------------
sql(q{ALTER SYSTEM SET diskquota.notify_payload = 'id'});
sql('SELECT pg_reload_conf()');
$node->poll_query_until('postgres', "SELECT current_setting('diskquota.notify_payload') = 'id'")
  or die 'the setting was not reloaded';
sql('SELECT diskquota.pause()');
sql('SELECT diskquota.resume()');
sql('TRUNCATE s.t');
epoch();
$all = table_ids();
poll_until(
	sub {
		sorted_ids(ids_in($stdout_file)) eq $all
		  && sorted_ids(ids_in($command_file)) eq $all
		  && sorted_ids(ids_in($sink1->{out}) . ',' . ids_in($sink2->{out})) eq $all;
	},
	'the events of id payloads delivered');
like(slurp_file($log_file), qr/notification: \d+$/m, 'notifications carried the id only');
stop_listener($listener, 'after id payloads');
for my $f ($stdout_file, $command_file)
{
	ok(each_once(ids_in($f)), "$f: no event twice in the whole test");
}
ok(each_once(ids_in($sink1->{out}) . ',' . ids_in($sink2->{out})),
	'webhooks: no event twice in the whole test');
my @last = events_in($stdout_file);
is($last[-1]->{event}, 'advisory_cleared', 'the last event, advisory_cleared');

# --- A role that may not read the event log is told so ----------------
my $config3 = "$dir/notify3.toml";
write_config($config3, $sink2->{url}, 'dq_nobody');
my ($out, $err) = ('', '');
ok( !IPC::Run::run(
		[ 'python3', $tool, '--config', $config3, '--state', "$dir/state3.json", '--once' ],
		'>', \$out, '2>', \$err),
	'--once fails for a role that may not read the events');
like($err, qr/role dq_nobody may not read diskquota\.events/, 'and says why');
is($out, '', 'nothing delivered');

note "the listener's log:\n", slurp_file($log_file);
$sink1->{harness}->kill_kill;
$sink2->{harness}->kill_kill;
$node->stop;
done_testing();
