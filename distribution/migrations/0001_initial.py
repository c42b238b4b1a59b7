# The models that left users (its migration 0004), taken over with their tables: the state
# operations describe the tables users/0001 and 0003 made, so no table is created, dropped or
# renamed, on SQLite or PostgreSQL. Their content types (and so their permissions) follow them.

import django.db.models.deletion
import uuid
from django.db import migrations, models

MOVED = ['command', 'commandoutcome', 'enrolment', 'receivedresult']


def relabel_content_types(apps, schema_editor, old='users', new='distribution'):
    content_types = apps.get_model('contenttypes', 'ContentType').objects.using(schema_editor.connection.alias)
    taken = set(content_types.filter(app_label=new, model__in=MOVED).values_list('model', flat=True))
    content_types.filter(app_label=old, model__in=set(MOVED) - taken).update(app_label=new)


def restore_content_types(apps, schema_editor):
    relabel_content_types(apps, schema_editor, old='distribution', new='users')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('devices', '0001_initial'),
        ('users', '0004_move_distribution_models'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Command',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('method', models.CharField(choices=[('add_users_plus', 'Add Users'), ('delete_users', 'Delete Users'), ('wipe_data', 'Wipe Data'), ('fiqa', 'Fiqa')], max_length=20)),
                        ('message_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('payload', models.JSONField()),
                        ('state', models.CharField(choices=[('queued', 'Queued'), ('published', 'Published'), ('done', 'Done'), ('partly_failed', 'partly failed'), ('failed', 'Failed'), ('expired', 'Expired')], db_index=True, default='queued', max_length=16)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('last_error', models.TextField(blank=True, default='')),
                        ('publish_error', models.TextField(blank=True, default='')),
                        ('result', models.JSONField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('published_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('box', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='commands', to='devices.box')),
                    ],
                    options={
                        'db_table': 'users_command',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['box', 'state'], name='users_comma_box_id_0e5b57_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='CommandOutcome',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('identity_id', models.CharField(max_length=64)),
                        ('success', models.BooleanField()),
                        ('code', models.IntegerField()),
                        ('message', models.CharField(blank=True, default='', max_length=300)),
                        ('command', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outcomes', to='distribution.command')),
                    ],
                    options={
                        'db_table': 'users_commandoutcome',
                        'ordering': ['identity_id'],
                        'constraints': [models.UniqueConstraint(fields=('command', 'identity_id'), name='one_outcome_per_person')],
                    },
                ),
                migrations.CreateModel(
                    name='Enrolment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('identity_id', models.CharField(db_index=True, max_length=64)),
                        ('state', models.CharField(choices=[('pending', 'Pending'), ('enrolled', 'Enrolled'), ('failed', 'Failed'), ('deleting', 'Deleting')], default='pending', max_length=10)),
                        ('code', models.IntegerField(blank=True, null=True)),
                        ('message', models.CharField(blank=True, default='', max_length=300)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('box', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='enrolments', to='devices.box')),
                        ('command', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='distribution.command')),
                        ('person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='enrolments', to='users.person')),
                    ],
                    options={
                        'db_table': 'users_enrolment',
                        'ordering': ['box', 'identity_id'],
                        'constraints': [models.UniqueConstraint(fields=('box', 'identity_id'), name='one_enrolment_per_box')],
                    },
                ),
                migrations.CreateModel(
                    name='ReceivedResult',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('received_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('source', models.CharField(max_length=10)),
                        ('dev_sno', models.CharField(blank=True, default='', max_length=64)),
                        ('message_id', models.CharField(blank=True, db_index=True, default='', max_length=64)),
                        ('body', models.TextField()),
                        ('error', models.CharField(blank=True, default='', max_length=300)),
                    ],
                    options={
                        'db_table': 'users_receivedresult',
                        'ordering': ['-received_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
