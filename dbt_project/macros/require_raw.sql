{#
    on-run-start: refuse to build from a file the sync never wrote.

    `cd dbt_project && dbt build` on a fresh clone would otherwise open (and so create) an empty
    DuckDB file and fail on a missing raw.posts with a page of compilation errors. One line instead.
#}
{% macro require_raw_posts() %}
    {% if execute %}
        {% set found = run_query(
            "select count(*) from information_schema.tables where table_schema = '"
            ~ var('raw_schema') ~ "' and table_name = 'posts'"
        ) %}
        {% if found.columns[0].values()[0] == 0 %}
            {{ exceptions.raise_compiler_error(
                "ProductHuntDB: " ~ (target.path if target.type == "duckdb" else target.type ~ " target " ~ target.name) ~ " has no " ~ var('raw_schema') ~ ".posts table: dbt only "
                ~ "transforms what the sync loaded. Run `make sync` (or `make demo` for a demo database) "
                ~ "first, or point PRODUCTHUNT_WORK_DUCKDB_PATH at a synced working file."
            ) }}
        {% endif %}
    {% endif %}
{% endmacro %}
