package pgstore

// migrations are applied in order; migrations[i] brings the schema to
// version i+1. Never edit a released migration: append a new one.
var migrations = []string{
	`CREATE TABLE module_builds (
		id BIGSERIAL PRIMARY KEY,
		name TEXT NOT NULL,
		stream TEXT NOT NULL,
		version TEXT NOT NULL,
		context TEXT NOT NULL,
		build_context TEXT NOT NULL,
		build_context_no_bms TEXT NOT NULL,
		runtime_context TEXT NOT NULL,
		state INTEGER NOT NULL,
		state_reason TEXT NOT NULL,
		modulemd TEXT NOT NULL,
		defaults TEXT NOT NULL,
		source_version TEXT NOT NULL,
		koji_tag TEXT NOT NULL,
		dist_tag TEXT NOT NULL,
		scmurl TEXT NOT NULL,
		owner TEXT NOT NULL,
		scratch BOOLEAN NOT NULL,
		rebuild_strategy TEXT NOT NULL,
		batch INTEGER NOT NULL,
		reused_module_id BIGINT NOT NULL,
		repository TEXT NOT NULL,
		koji_build_id BIGINT NOT NULL,
		time_submitted TIMESTAMPTZ NOT NULL,
		time_modified TIMESTAMPTZ NOT NULL,
		time_completed TIMESTAMPTZ
	);
	CREATE UNIQUE INDEX module_builds_nsvc ON module_builds (name, stream, version, context);
	CREATE INDEX module_builds_state ON module_builds (state);
	CREATE INDEX module_builds_nsv ON module_builds (name, stream, source_version);

	CREATE TABLE component_builds (
		id BIGSERIAL PRIMARY KEY,
		module_id BIGINT NOT NULL REFERENCES module_builds (id),
		package TEXT NOT NULL,
		scmurl TEXT NOT NULL,
		ref TEXT NOT NULL,
		format TEXT NOT NULL,
		batch INTEGER NOT NULL,
		state INTEGER,
		state_reason TEXT NOT NULL,
		task_id TEXT NOT NULL,
		nvr TEXT NOT NULL,
		build_time_only BOOLEAN NOT NULL,
		buildonly BOOLEAN NOT NULL,
		reused_component_id BIGINT NOT NULL,
		weight DOUBLE PRECISION NOT NULL,
		attempt INTEGER NOT NULL,
		rpms JSONB NOT NULL,
		licenses JSONB NOT NULL
	);
	CREATE UNIQUE INDEX component_builds_package ON component_builds (module_id, package);
	CREATE INDEX component_builds_state ON component_builds (state);

	CREATE TABLE module_build_traces (
		id BIGSERIAL PRIMARY KEY,
		module_id BIGINT NOT NULL REFERENCES module_builds (id),
		state_time TIMESTAMPTZ NOT NULL,
		state INTEGER NOT NULL,
		state_reason TEXT NOT NULL
	);
	CREATE INDEX module_build_traces_module ON module_build_traces (module_id);

	CREATE TABLE component_build_traces (
		id BIGSERIAL PRIMARY KEY,
		component_id BIGINT NOT NULL REFERENCES component_builds (id),
		state_time TIMESTAMPTZ NOT NULL,
		state INTEGER,
		state_reason TEXT NOT NULL,
		task_id TEXT NOT NULL
	);
	CREATE INDEX component_build_traces_component ON component_build_traces (component_id);

	CREATE TABLE log_messages (
		id BIGSERIAL PRIMARY KEY,
		module_id BIGINT NOT NULL REFERENCES module_builds (id),
		component_id BIGINT REFERENCES component_builds (id),
		time_created TIMESTAMPTZ NOT NULL,
		message TEXT NOT NULL
	);
	CREATE INDEX log_messages_module ON log_messages (module_id);
	CREATE INDEX log_messages_component ON log_messages (component_id);

	CREATE TABLE events (
		id BIGSERIAL PRIMARY KEY,
		message_id TEXT NOT NULL,
		topic TEXT NOT NULL,
		time_created TIMESTAMPTZ NOT NULL,
		body JSON NOT NULL
	);

	CREATE TABLE leases (
		name TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		expires TIMESTAMPTZ NOT NULL
	);`,
	// 2: the level of a log message (slog's; debug messages come from builders).
	`ALTER TABLE log_messages ADD COLUMN level INTEGER NOT NULL DEFAULT 0`,
	// 3: slots of the global concurrency limit reserved by component
	// builds before their submission (orchestrator.SlotTx), and an index
	// for counting the building ones.
	`CREATE TABLE build_slots (
		component_id BIGINT PRIMARY KEY,
		time_reserved TIMESTAMPTZ NOT NULL
	);
	CREATE INDEX component_builds_building ON component_builds (id) WHERE state = 0 AND reused_component_id = 0;`,
}
