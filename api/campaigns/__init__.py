"""The GraphQL area of campaigns, content approval and the calendar."""
