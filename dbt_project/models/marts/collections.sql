with

collections as (
    select * from {{ ref('stg_producthunt__collections') }}
),

collection_posts as (
    select * from {{ ref('collection_posts') }}
),

synced as (
    select collection_id, count(*) as posts_count from collection_posts group by collection_id
),

final as (
    select
        collections.collection_id,
        collections.name,
        collections.tagline,
        collections.description,
        collections.url,
        collections.cover_image,
        collections.followers_count,
        coalesce(synced.posts_count, 0) as posts_count,
        collections.created_at,
        collections.featured_at,
        collections.user_id,
        collections.is_user_redacted
    from collections
    left join synced on synced.collection_id = collections.collection_id
)

select * from final
