"""The shared form models, importable under the name province packages have used since
the first release; they live in `engine.contract.forms`."""

from engine.contract.forms import (
    Activity,
    AgreementForm,
    FormField,
    FormModel,
    JointResolutionForm,
    ResolutionPoint,
    WorkPlanForm,
    example_data,
    form_fields,
    label,
    unlabelled_fields,
    validate_form,
)

__all__ = [
    "Activity",
    "AgreementForm",
    "FormField",
    "FormModel",
    "JointResolutionForm",
    "ResolutionPoint",
    "WorkPlanForm",
    "example_data",
    "form_fields",
    "label",
    "unlabelled_fields",
    "validate_form",
]
