"""API tokens made before named tokens (DRF's authtoken: one plaintext key per user) keep working:
each becomes a named token stored as its digest, and the table of plaintext keys is dropped."""
from django.db import migrations
from knox.crypto import hash_token
from knox.settings import CONSTANTS

OLD_TABLE = "authtoken_token"


def take_over_drf_tokens(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    quote = schema_editor.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('key')}, user_id, created FROM {quote(OLD_TABLE)}")
        for key, user_id, created in cursor.fetchall():
            token = ApiToken.objects.create(user_id=user_id, digest=hash_token(key), name="API token (before named tokens)",
                                            token_key=key[:CONSTANTS.TOKEN_KEY_LENGTH])
            ApiToken.objects.filter(pk=token.pk).update(created=created)
        cursor.execute(f"DROP TABLE {quote(OLD_TABLE)}")
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):

    dependencies = [("accounts", "0002_api_token")]

    operations = [migrations.RunPython(take_over_drf_tokens, migrations.RunPython.noop)]
