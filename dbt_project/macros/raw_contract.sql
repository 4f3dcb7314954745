{#- GENERATED from pipelines/producthuntdb/source/contract.py by
    `python -m producthuntdb.source.contract > dbt_project/macros/raw_contract.sql`;
    do not edit (tests/unit/test_contract.py fails when it is stale). -#}
{% macro raw_contract(table_name) -%}
    {%- set contract = {
        'posts': {'id': 'varchar', 'name': 'varchar', 'tagline': 'varchar', 'description': 'varchar', 'slug': 'varchar', 'url': 'varchar', 'website': 'varchar', 'votes_count': 'bigint', 'comments_count': 'bigint', 'reviews_count': 'bigint', 'reviews_rating': 'double precision', 'created_at': 'timestamptz', 'featured_at': 'timestamptz', 'user_id': 'varchar', 'repaired': 'varchar', 'thumbnail_url': 'varchar'},
        'post_metrics': {'post_id': 'varchar', 'votes_count': 'bigint', 'comments_count': 'bigint', 'observed_at': 'timestamptz', 'run_id': 'varchar'},
        'topics': {'id': 'varchar', 'name': 'varchar', 'slug': 'varchar', 'description': 'varchar', 'followers_count': 'bigint', 'posts_count': 'bigint', 'created_at': 'timestamptz', 'url': 'varchar'},
        'users': {'id': 'varchar', 'name': 'varchar', 'username': 'varchar', 'headline': 'varchar', 'url': 'varchar', 'profile_image': 'varchar', 'twitter_username': 'varchar', 'website_url': 'varchar', 'is_maker': 'boolean', 'created_at': 'timestamptz', 'is_viewer': 'boolean'},
        'post_topics': {'post_id': 'varchar', 'topic_id': 'varchar'},
        'post_makers': {'post_id': 'varchar', 'position': 'bigint', 'maker_id': 'varchar'},
        'post_links': {'post_id': 'varchar', 'position': 'bigint', 'type': 'varchar', 'url': 'varchar'},
        'collections': {'id': 'varchar', 'name': 'varchar', 'tagline': 'varchar', 'description': 'varchar', 'url': 'varchar', 'cover_image': 'varchar', 'followers_count': 'bigint', 'created_at': 'timestamptz', 'featured_at': 'timestamptz', 'user_id': 'varchar'},
        'collection_posts': {'collection_id': 'varchar', 'post_id': 'varchar'},
        'comments': {'id': 'varchar', 'post_id': 'varchar', 'parent_id': 'varchar', 'body': 'varchar', 'url': 'varchar', 'user_id': 'varchar', 'votes_count': 'bigint', 'created_at': 'timestamptz'},
        'votes': {'id': 'varchar', 'post_id': 'varchar', 'user_id': 'varchar', 'created_at': 'timestamptz'},
    } -%}
    {{ return(contract[table_name]) }}
{%- endmacro %}
