-- A post (or collection) cannot be featured before it was created.
select 'posts' as model, post_id as id, created_at, featured_at
from {{ ref('posts') }}
where featured_at < created_at
union all
select 'collections' as model, collection_id as id, created_at, featured_at
from {{ ref('collections') }}
where featured_at < created_at
