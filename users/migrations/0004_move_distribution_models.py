# Commands, their outcomes, enrolments and received results move to the distribution app
# (issue 14). Only Django's model state moves: the tables stay as they are (users_command, ...),
# and distribution/migrations/0001_initial.py takes them over under the same names.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0003_command_publish_error'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Enrolment'),
                migrations.DeleteModel(name='CommandOutcome'),
                migrations.DeleteModel(name='Command'),
                migrations.DeleteModel(name='ReceivedResult'),
            ],
            database_operations=[],
        ),
    ]
