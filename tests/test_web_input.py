"""Input validation and debug settings across files and languages: what one rule example (one file) cannot show."""

from __future__ import annotations

import textwrap

from scanner.analysis.web.redos import catastrophic
from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.testing import MemorySource

NEST_CONTROLLER = """
    import { Body, Controller, Post } from "@nestjs/common";
    import { CreateNoteDto } from "./dto";

    @Controller("notes")
    export class NotesController {
      @Post()
      create(@Body() dto: CreateNoteDto) {
        return this.notes.create(dto);
      }
    }
"""
NEST_MAIN = """
    import { ValidationPipe } from "@nestjs/common";
    import { NestFactory } from "@nestjs/core";
    import { AppModule } from "./app.module";

    async function bootstrap() {
      const app = await NestFactory.create(AppModule);
      app.useGlobalPipes(new ValidationPipe({ whitelist: true }));
      await app.listen(3000);
    }
    bootstrap();
"""


def run(files: dict[str, str], registry):
    engine = Engine(registry, Config(), DETECTORS)
    source = MemorySource({p: textwrap.dedent(t) for p, t in files.items()})
    return engine.run([source], root="<memory>", source_names=["memory"])


def rules_found(result) -> list[tuple[str, str, int]]:
    return sorted((f.rule_id, f.location.path, f.location.line) for f in result.findings
                  if f.rule_id.startswith("web-"))


def test_nest_dto_body_is_validated_only_under_a_global_validation_pipe(registry):
    alone = run({"src/notes.controller.ts": NEST_CONTROLLER}, registry)
    assert rules_found(alone) == [("web-input-unvalidated", "src/notes.controller.ts", 8)]
    with_pipe = run({"src/notes.controller.ts": NEST_CONTROLLER, "src/main.ts": NEST_MAIN}, registry)
    assert rules_found(with_pipe) == []


def test_upload_helper_in_another_module_is_reported_where_it_writes(registry):
    files = {
        "app/server.py": """
            from fastapi import FastAPI, File, UploadFile
            from app.files import store_upload

            app = FastAPI()

            @app.post("/upload")
            async def upload(file: UploadFile = File(...)):
                return await store_upload(file, "./docs")
        """,
        "app/files.py": """
            import os
            import shutil

            async def store_upload(file, folder):
                path = os.path.join(folder, os.path.basename(file.filename))
                with open(path, "wb") as out:
                    shutil.copyfileobj(file.file, out)
                return path
        """,
    }
    result = run(files, registry)
    assert ("web-upload-unchecked", "app/files.py", 5) in rules_found(result)
    message = next(f.message for f in result.findings if f.rule_id == "web-upload-unchecked")
    assert "POST /upload" in message


def test_drf_quantity_without_min_value_is_reported_where_the_handler_computes_with_it(registry):
    files = {
        "shop/serializers.py": """
            from rest_framework import serializers

            class OrderLineSerializer(serializers.Serializer):
                product_id = serializers.IntegerField()
                quantity = serializers.IntegerField()
        """,
        "shop/views.py": """
            from rest_framework.views import APIView
            from rest_framework.response import Response
            from shop.serializers import OrderLineSerializer

            class OrderView(APIView):
                def post(self, request):
                    data = request.data
                    serializer = OrderLineSerializer(data=data)
                    if not serializer.is_valid():
                        return Response(serializer.errors, status=400)
                    product = Product.objects.get(id=data["product_id"])
                    wallet = Wallet.objects.get(user=request.user)
                    wallet.credit -= product.price * data["quantity"]
                    wallet.save()
                    return Response({})
        """,
        "shop/urls.py": """
            from django.urls import path
            from shop.views import OrderView

            urlpatterns = [path("orders", OrderView.as_view())]
        """,
    }
    assert ("web-input-unbounded", "shop/views.py", 14) in rules_found(run(files, registry))
    bounded = dict(files)
    bounded["shop/serializers.py"] = files["shop/serializers.py"].replace(
        "quantity = serializers.IntegerField()", "quantity = serializers.IntegerField(min_value=1)")
    assert not [r for r in rules_found(run(bounded, registry)) if r[0] == "web-input-unbounded"]


def test_nested_quantifiers_are_catastrophic_only_when_iterations_can_trade_characters():
    assert catastrophic(r"^([a-z0-9]([-.\w]*[a-z0-9])*@example\.com)$")
    assert catastrophic(r"(a+)+$")
    assert catastrophic(r"^(\w+\s?)*$")
    assert not catastrophic(r"^\d+(\.\d+)*$")  # a literal dot in every iteration
    assert not catastrophic(r"^(\w+)(\s+\w+)*$")  # iterations start and end on different characters
    assert not catastrophic(r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$")
    assert not catastrophic(r"(unbalanced")


def test_trpc_procedures_with_an_input_schema_are_evidence_of_validation(registry):
    files = {"src/server/routers/notes.ts": """
        import { z } from "zod";
        import { protectedProcedure, router } from "../trpc";

        export const notesRouter = router({
          create: protectedProcedure
            .input(z.object({ title: z.string().max(200) }))
            .mutation(async ({ ctx, input }) => ctx.db.note.create({ data: { title: input.title } })),
        });
    """}
    result = run(files, registry)
    assert not [f for f in result.findings if f.rule_id.startswith("web-input")]
    assert any("1 of 1 route taking input" in e for e in result.evidence.get("input-validation", ()))
